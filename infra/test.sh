#!/usr/bin/env bash
# The one test command (README). It installs and starts what the tests need itself — a
# Python virtualenv with moto, cfn-lint, the SAM CLI, cargo-lambda, zig, standardwebhooks and
# Schemathesis, a moto server on 127.0.0.1, Debian's chromium and playwright-core,
# cargo-fuzz — so it works the same on a fresh machine and in CI.
#
#   ./infra/test.sh          everything (what CI runs)
#   ./infra/test.sh --fast   the fast loop: Rust unit, service and SQLite tests and the local
#                            end-to-end suite; no moto, no sam build, no browser
# (`cargo test --workspace` alone runs the unit, service and SQLite tests.)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

source infra/venv.sh

if [ "${1:-}" = "--fast" ]; then
  cargo build --locked --workspace --bins
  cargo test --workspace --locked --features webhooks-tests/e2e
  exit 0
fi

echo "== template.yaml: cfn-lint and sam validate --lint (offline, dummy region and credentials)"
.venv/bin/cfn-lint template.yaml
AWS_DEFAULT_REGION=eu-west-3 AWS_ACCESS_KEY_ID=dummy AWS_SECRET_ACCESS_KEY=dummy SAM_CLI_TELEMETRY=0 \
  .venv/bin/sam validate --lint --template template.yaml

# A private moto server for the AWS adapter tests, stopped on exit.
source infra/moto.sh
start_moto

# The end-to-end tests run the real binaries: the local service from this build, and the
# Lambda functions as `sam build` packages them (release, x86_64 here, one cargo-lambda
# target per function: Makefile), with the environment template.yaml gives them.
cargo build --locked --workspace --bins
echo "== sam build (infra/sam-build.sh): the deployable functions the Lambda end-to-end tests run"
./infra/sam-build.sh
export WEBHOOKS_TEST_LAMBDA_DIR="$PWD/.aws-sam/build"
echo "== cargo test: unit, port contract suites (SQLite and moto), handlers, end-to-end (local stack and Lambda binaries on moto)"
cargo test --workspace --locked --all-targets \
  --features webhooks-aws/moto,webhooks-ingest-fn/moto,webhooks-tests/moto

echo "== OpenAPI conformance: Schemathesis against the local binary (every check but ignored_auth)"
tests/openapi/run.sh target/debug/pp-svc-webhooks
echo "== receivers' guide snippets (Python, Node.js) against a real delivery"
.venv/bin/python tests/receivers/run.py target/debug/pp-svc-webhooks
echo "== admin UI: unit tests of the pure modules (node --test)"
node --test shared/api/ui/test/*.test.mjs
echo "== admin UI journey in headless chromium"
# Screenshots go to target/ here; refresh the committed ones (docs/screenshots) with
#   SCREENSHOTS_DIR=$PWD/docs/screenshots tests/browser/run.sh target/debug/pp-svc-webhooks
SCREENSHOTS_DIR="${SCREENSHOTS_DIR:-$PWD/target/screenshots}" tests/browser/run.sh target/debug/pp-svc-webhooks
echo "== fuzz targets, short run (infra/fuzz.sh; longer runs: fuzz/README.md)"
infra/fuzz.sh 20
echo "== benchmarks, smoke run with tiny sizes (full runs: docs/BENCHMARKS.md)"
infra/bench.sh --smoke
