# tests/deps.sh -- sourced by tests/run.sh and examples/demo.sh: installs the
# Debian packages escrow needs to build, test and demonstrate, when missing.
escrow_install_deps() {
	local want="cmake make gcc pkg-config libarchive-dev libsodium-dev libzstd-dev libssl-dev zlib1g-dev
		libyaml-dev libjansson-dev $*"
	local missing="" p
	for p in $want; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "escrow: installing missing Debian packages:$missing" >&2
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	$sudo apt-get update -qq >&2 || true
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
}
