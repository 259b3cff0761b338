#!/usr/bin/env bash
# A short run of every fuzz target (seconds each, default 20), on stable Rust:
# RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly-only flags. Exits non-zero on any crash.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
bash seed.sh
log=$(mktemp)
for t in $(cargo fuzz list); do
  echo "--- fuzz $t (${secs}s)"
  if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz target $t failed" >&2
    exit 1
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|^Done' "$log" || tail -n 5 "$log"
done
rm -f "$log"
