#!/usr/bin/env bash
# tests/run.sh -- the whole test suite: installs what is missing, builds
# escrow (normal, ASan+UBSan, libFuzzer) and runs ctest, whose summary ends
# the output.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
. tests/deps.sh
escrow_install_deps libcmocka-dev minisign age zstd libarchive-tools python3 clang \
	libclang-rt-14-dev zlib1g-dev
# npm fetches the age test vectors; a machine may have it from another node
# distribution, whose nodejs conflicts with Debian's npm package.
command -v npm >/dev/null 2>&1 || escrow_install_deps nodejs npm

jobs=$(nproc 2>/dev/null || echo 2)

# The official age test vectors (C2SP CCTV), from the npm registry.
vectors="$top/build/cctv-age"
if [ ! -d "$vectors/node_modules/cctv-age" ]; then
	mkdir -p "$vectors"
	(cd "$vectors" && npm install --silent --no-audit --no-fund --prefix . cctv-age >/dev/null 2>&1) ||
		echo "escrow: warning: could not install the npm package cctv-age" >&2
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
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build
ctest -j "$jobs" --output-on-failure --timeout 2400
