#!/usr/bin/env bash
# The one test command (README): it sets up everything the tests need itself, so it works
# the same on a fresh machine, a developer's machine and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Python tools for the tests, pinned, in an ignored virtualenv.
if [ ! -x .venv/bin/python ] || ! cmp -s infra/requirements-test.txt .venv/.requirements; then
  echo "== setting up .venv (infra/requirements-test.txt)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-test.txt
  cp infra/requirements-test.txt .venv/.requirements
fi

echo "== cargo test: unit, port contract suites (SQLite), end-to-end"
cargo test --workspace --locked --all-targets

echo "== receivers' guide snippets (Python, Node.js) against a real delivery"
cargo build --locked --bin pp-svc-webhooks
.venv/bin/python tests/receivers/run.py target/debug/pp-svc-webhooks
