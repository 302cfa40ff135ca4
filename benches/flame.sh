#!/usr/bin/env bash
# P1's flame graphs: profiles the in-process throughput bench at one fan-out, after its
# ceiling run, and writes docs/flame-fanout<N>.svg.
#
#   benches/flame.sh [fan-out, default 5] [events, default 100000]
#
# Needs perf (Debian's linux-perf, installed when missing) and inferno (`cargo install
# inferno`, likewise). Builds the `profiling` profile: release code with symbols. Prints the
# bench's table, so the graph comes with the rate it was taken at.
set -euo pipefail
cd "$(dirname "$0")/.."
fanout="${1:-5}"
events="${2:-100000}"
out="docs/flame-fanout${fanout}.svg"

command -v perf >/dev/null || { apt-get update -q && apt-get install -y -q linux-perf; }
command -v inferno-flamegraph >/dev/null || cargo install --locked inferno
cargo build --locked --profile profiling -q -p webhooks-benches --bin throughput

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
target/profiling/throughput --events "$events" --fanouts "$fanout" >"$tmp/bench.out" 2>&1 &
bench=$!
# The ceiling run comes first; the profile is of the stack's run alone.
until grep -q "running the stack" "$tmp/bench.out"; do
  kill -0 "$bench" 2>/dev/null || { cat "$tmp/bench.out"; exit 1; }
  sleep 0.05
done
sleep 0.3
perf record -q -F 800 -g --call-graph dwarf,16384 -p "$bench" -o "$tmp/perf.data" -- sleep 3
wait "$bench"
cat "$tmp/bench.out"
perf script -i "$tmp/perf.data" 2>/dev/null | inferno-collapse-perf >"$tmp/folded"
inferno-flamegraph --minwidth 0.2 --title "fan-out $fanout, in-process throughput bench" \
  <"$tmp/folded" >"$out"
echo "flame graph: $out"
