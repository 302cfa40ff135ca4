#!/usr/bin/env bash
# Runs the benchmarks of docs/BENCHMARKS.md and draws their plots.
#   infra/bench.sh          full run (about 10 minutes), results printed, plots in docs/
#   infra/bench.sh --smoke  tiny sizes: checks the benchmarks still build and run (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--smoke" ]; then
  cargo run --locked -q -p webhooks-benches --bin throughput -- --events 200 --csv target/bench-smoke/throughput.csv
  cargo run --locked -q -p webhooks-benches --bin latency -- --seconds 0.5 --csv target/bench-smoke/latency.csv
  cargo bench --locked -q -p webhooks-core --bench signing -- --warm-up-time 0.1 --measurement-time 0.2 > /dev/null
  cargo bench --locked -q -p webhooks-core --bench publish -- --warm-up-time 0.1 --measurement-time 0.2 > /dev/null
  # The test command has started moto and exported its endpoint.
  cargo run --locked -q -p webhooks-benches --bin aws_requests -- --events 10 > /dev/null
  # The test command has built the debug function binaries.
  cargo run --locked -q -p webhooks-benches --bin cold_start -- --runs 2 --dir target/debug > /dev/null
  echo "benchmarks smoke run: 6 passed, 0 failed"
  exit 0
fi
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet --disable-pip-version-check matplotlib==3.11.2
fi
cargo bench --locked -p webhooks-core --bench signing
cargo bench --locked -p webhooks-core --bench publish
cargo run --locked --release -p webhooks-benches --bin throughput -- --events 20000 --csv target/bench/throughput.csv
cargo run --locked --release -p webhooks-benches --bin latency -- --seconds 60 --csv target/bench/latency.csv
benches/external.sh 15
.venv-bench/bin/python benches/plot.py target/bench/throughput.csv target/bench/latency.csv docs
# P4 and P3 need a moto server.
source infra/venv.sh
source infra/moto.sh
start_moto
cargo run --locked --release -p webhooks-benches --bin aws_requests -- --events 100
cargo build --locked --release -p webhooks-api-fn -p webhooks-ingest-fn -p webhooks-delivery-fn -p webhooks-counters-fn
cargo run --locked --release -p webhooks-benches --bin cold_start -- --runs 20
