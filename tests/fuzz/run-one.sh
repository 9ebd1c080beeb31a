#!/usr/bin/env bash
# Run one libFuzzer target briefly over its seed corpus (a copy, so the tree stays clean).
set -eu
bin=$1 seeds=$2
secs=${ESCROW_FUZZ_SECONDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null || true
"$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 -print_final_stats=1 "$work"
