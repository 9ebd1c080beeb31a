# tests/deps.sh -- sourced by tests/run.sh and examples/demo.sh: installs the
# Debian packages escrow needs to build, test and demonstrate, when missing.
# The list is what a minbase Debian 12 lacks: packages are installed without
# their recommends, so gcc needs libc6-dev named (it only recommends it).
# The build needs every library of DESIGN.md's dependency table, including
# those of the ledger (libsqlite3, libpq), zip checkpoints (zlib) and git
# provenance (libgit2).
escrow_install_deps() {
	local want="cmake make gcc libc6-dev pkg-config libarchive-dev libsodium-dev libzstd-dev libssl-dev
		libyaml-dev libjansson-dev zlib1g-dev libsqlite3-dev libpq-dev libgit2-dev $*"
	local missing="" p
	for p in $want; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "escrow: installing missing Debian packages:$missing" >&2
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	# apt's and dpkg's chatter goes to a log, shown only when the install fails
	local log
	log=$(mktemp "${TMPDIR:-/tmp}/escrow-apt.XXXXXX")
	$sudo apt-get update -qq >"$log" 2>&1 || true
	if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing \
		>>"$log" 2>&1; then
		tail -20 "$log" >&2
		echo "escrow: apt-get could not install:$missing (whole log: $log)" >&2
		return 1
	fi
	rm -f "$log"
	echo "escrow: installed:$missing" >&2
}

# A UTF-8 locale for the stock tools (bsdtar cannot print or convert UTF-8
# names under the POSIX locale, which is what a machine without a configured
# locale runs in). C.UTF-8 is part of Debian's libc. escrow itself picks a
# UTF-8 LC_CTYPE on its own (escrow_init), so this hides nothing of escrow's.
escrow_utf8_locale() {
	case $(locale charmap 2>/dev/null) in
	UTF-8) ;;
	*) export LC_ALL=C.UTF-8 ;;
	esac
}
