#!/usr/bin/env bash
# tests/run.sh -- the whole test suite: installs what is missing, builds
# escrow (normal, ASan+UBSan, libFuzzer) and runs ctest, whose summary ends
# the output.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
. tests/deps.sh
escrow_install_deps libcmocka-dev minisign age zstd libarchive-tools python3 python3-jsonschema sqlite3 git python3-yaml \
	zsh fish python3-onnx man-db groff-base clang libclang-rt-14-dev \
	libacl1-dev liblz4-dev nettle-dev liblzma-dev libbz2-dev libxml2-dev \
	chromium poppler-utils fonts-dejavu-core gdb
# (zsh and fish: cli_help checks the syntax of the completions it prints for them;
# python3-onnx: cli_example_project runs the stock ONNX checker on the example's model;
# git and python3-yaml: cli_provenance makes real git repositories, and
# cli_ci_templates reads the CI templates' YAML and runs their steps;
# libacl1-dev to libxml2-dev: the static archives libarchive.pc names, which
# libarchive-dev does not pull in, for cli_install's static link of the example
# program; chromium, poppler-utils and the DejaVu fonts: cli_certificate prints
# the certificate to PDF in headless Chromium and reads it back with pdftotext;
# gdb: cli_vault_race stops two receives where they record, to order them without timing)
# Tests expect stock tools to behave the same whatever the machine's locale.
export LC_ALL=C.UTF-8
# npm fetches the age test vectors; a machine may have it from another node
# distribution, whose nodejs conflicts with Debian's npm package. Without npm
# the vectors' test is skipped, saying why, rather than the whole run failing.
command -v npm >/dev/null 2>&1 || escrow_install_deps nodejs npm ||
	echo "escrow: warning: could not install npm: the age test vectors will be skipped" >&2

# PostgreSQL 15 for the ledger's tests on a real server (tests/pg.sh); without
# it they are skipped, saying why, rather than the whole run failing.
escrow_install_deps postgresql ||
	echo "escrow: warning: could not install postgresql: the ledger's PostgreSQL tests will be skipped" >&2

jobs=$(nproc 2>/dev/null || echo 2)

# The official age test vectors (C2SP CCTV), from the npm registry. npm's own
# output is kept in build/cctv-age/npm.log; unit_age_cctv reports itself
# skipped, pointing there, when the package could not be had.
vectors="$top/build/cctv-age"
# Three tries: one dropped connection to the registry would otherwise skip
# unit_age_cctv, and a skip fails a run with ESCROW_NO_SKIP set.
npm_vectors() {
	local try
	for try in 1 2 3; do
		(cd "$vectors" && npm install --no-audit --no-fund --prefix . cctv-age) >"$vectors/npm.log" 2>&1 && return 0
		[ "$try" = 3 ] || sleep 5
	done
	return 1
}
if [ ! -f "$vectors/node_modules/cctv-age/index.js" ]; then
	mkdir -p "$vectors"
	if ! command -v npm >/dev/null 2>&1; then
		echo "npm is not installed (Debian package npm)" >"$vectors/npm.log"
	elif ! npm_vectors; then
		echo "escrow: warning: npm could not install the age test vectors (package cctv-age):" >&2
		{ grep -E 'ERR|error' "$vectors/npm.log" | grep -v -E '^npm (ERR!|error) +at |complete log|/_logs/' ||
			tail -5 "$vectors/npm.log"; } | head -4 | sed 's/^/  /' >&2 || true
		echo "  (npm's log: $vectors/npm.log; unit_age_cctv will be skipped)" >&2
	fi
fi

build() { # dir, cmake options...
	local dir=$1
	shift
	cmake -S . -B "$dir" -DESCROW_WERROR=ON -DESCROW_CCTV_DIR="$vectors/node_modules/cctv-age" "$@" >/dev/null
	if ! cmake --build "$dir" -j "$jobs" >"$dir/build.log" 2>&1; then
		grep -E "warning:|error:|Error " "$dir/build.log" >&2 || tail -20 "$dir/build.log" >&2
		echo "escrow: the build in $dir failed (log: $dir/build.log)" >&2
		exit 1
	fi
}

echo "escrow: building build/asan (ASan+UBSan)" >&2
build build/asan -DCMAKE_BUILD_TYPE=Debug -DESCROW_SANITIZE=ON -DCMAKE_C_COMPILER=clang
echo "escrow: building build/fuzz (libFuzzer)" >&2
build build/fuzz -DCMAKE_BUILD_TYPE=Debug -DESCROW_FUZZ=ON -DCMAKE_C_COMPILER=clang
echo "escrow: building build" >&2
build build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DESCROW_ASAN_DIR="$top/build/asan" -DESCROW_FUZZ_DIR="$top/build/fuzz/tests/fuzz"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp # a leak inside libgit2, not ours (the file says)
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build
rc=0
ctest -j "$jobs" --output-on-failure --timeout 2400 || rc=$?
# ctest lists skipped tests without their output: say why each was skipped.
# ESCROW_NO_SKIP=1 (CI, where every package is there) makes a skip a failure.
skips=$(awk '/^[0-9]+\/[0-9]+ Testing: / { t = $3 }
	/^SKIPPED: / { sub(/^SKIPPED: /, ""); if (!seen[t $0]++) print t " skipped: " $0 }' Testing/Temporary/LastTest.log)
if [ -n "$skips" ]; then
	echo "$skips" >&2
	if [ -n "${ESCROW_NO_SKIP:-}" ] && [ "$rc" = 0 ]; then
		echo "escrow: ESCROW_NO_SKIP is set and tests were skipped" >&2
		rc=1
	fi
fi
exit "$rc"
