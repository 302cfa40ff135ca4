#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 20): the short run of the test
# command. `infra/fuzz.sh 600` is the longer run recorded in fuzz/README.md.
# cargo-fuzz drives libFuzzer through rustc flags that need RUSTC_BOOTSTRAP on the stable
# toolchain (the only one on these machines).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-20}"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2
export RUSTC_BOOTSTRAP=1
mkdir -p target
failed=0
targets=$(cargo fuzz list)
for target in $targets; do
  echo "== fuzz $target for ${seconds}s"
  if cargo fuzz run "$target" -- -max_total_time="$seconds" > "target/$target.log" 2>&1; then
    grep -E "^#[0-9]+[[:space:]]+DONE" "target/$target.log" || true
  else
    failed=$((failed + 1))
    tail -40 "target/$target.log"
    echo "fuzz target $target FAILED (crash input under fuzz/artifacts/$target)"
  fi
done
count=$(echo "$targets" | wc -w)
echo "fuzz: $((count - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
