#!/usr/bin/env bash
# The one test command (README): everything the tests need is set up from here, so it
# works the same on a fresh machine, a developer's machine and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Unit, contract (SQLite) and end-to-end tests of the whole workspace.
cargo test --workspace --locked --all-targets
