#!/usr/bin/env bash
# Run one libFuzzer target briefly over its seed corpus (a copy, so the tree stays clean).
# tests/fuzz/NAME.options (libFuzzer "key = value" lines under [libfuzzer]) sets
# the target's own flags, max_len above all: each parser is fuzzed up to the
# sizes it accepts, not 64 KiB for all. tests/fuzz/dict/NAME.dict, when there,
# is its dictionary (magic numbers, tokens, opcodes of its format).
set -eu
bin=$1 seeds=$2
secs=${ESCROW_FUZZ_SECONDS:-20}
name=$(basename "$bin")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null || true
flags=(-max_len=65536)
if [ -f "$here/$name.options" ]; then
	while IFS= read -r line; do
		flags+=("$line")
	done < <(sed -n 's/^[[:space:]]*\([a-z_]*\)[[:space:]]*=[[:space:]]*\([^[:space:]]*\)[[:space:]]*$/-\1=\2/p' \
		"$here/$name.options")
fi
[ -f "$here/dict/$name.dict" ] && flags+=("-dict=$here/dict/$name.dict")
# A single allocation over 256 MiB is a finding: no parser may need that much.
"$bin" -max_total_time="$secs" -rss_limit_mb=1024 -malloc_limit_mb=256 -print_final_stats=1 "${flags[@]}" "$work"
