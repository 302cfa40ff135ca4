#!/usr/bin/env bash
# Property-based conformance run of the API against its own OpenAPI document: Schemathesis
# (pinned in infra/requirements-test.txt) generates requests from /openapi.json — valid
# ones, which must be accepted, and invalid ones, which must be refused with a 4xx — and
# checks every response against the document. Every check runs except `ignored_auth`.
#
#   tests/openapi/run.sh [path/to/pp-svc-webhooks] [max examples per operation, default 100]
#
# Starts the binary on a free port with a throw-away database, fails on any failure or
# 5xx, and fails when fewer than 1,000 cases were generated.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-target/debug/pp-svc-webhooks}"
[[ "$bin" = /* ]] || bin="$root/$bin"
examples="${2:-100}"
py="$root/.venv/bin/python"
if [[ ! -x "$bin" || ! -x "$root/.venv/bin/schemathesis" ]]; then
  echo "run.sh: needs $bin (build it) and .venv (source infra/venv.sh)" >&2
  exit 1
fi

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  # Under `set -e`, a failing status here would become the script's (a killed server
  # waits with 143).
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
admin_token="schemathesis-admin-token-0123"
ingest_token="schemathesis-ingest-token-0123"
# Deliveries go to a closed local port: the endpoints the run creates have generated host
# names, which must not be looked up in DNS. The proxy resolves names, so none is.
closed="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
WEBHOOKS_LISTEN="127.0.0.1:$port" \
  WEBHOOKS_DB="$tmp/webhooks.db" \
  WEBHOOKS_ADMIN_TOKENS="$admin_token=ENS_SCHEMATHESIS" \
  WEBHOOKS_INGEST_TOKEN="$ingest_token" \
  WEBHOOKS_PROXY_URL="http://127.0.0.1:$closed" \
  RUST_LOG="${RUST_LOG:-warn}" \
  "$bin" >"$tmp/server.log" 2>&1 &
server_pid=$!

cat >"$tmp/schemathesis.toml" <<TOML
[auth.openapi.bearer]
bearer = "$admin_token"
[auth.openapi.service]
bearer = "$ingest_token"
TOML

status=0
# One worker: with more, CPython 3.11's parser trips over Hypothesis's deep recursion.
(cd "$tmp" && PYTHONPATH="$here" SCHEMATHESIS_HOOKS=hooks "$root/.venv/bin/schemathesis" run \
  "$base/openapi.json" --wait-for-schema 30 --checks all --exclude-checks ignored_auth \
  --max-examples "$examples" --workers 1 --seed 1 --no-color) | tee "$tmp/report.txt" || status=$?
if [[ $status -ne 0 ]]; then
  echo "run.sh: schemathesis failed (exit $status); last server log lines:" >&2
  tail -n 40 "$tmp/server.log" >&2
  exit "$status"
fi
cases="$(grep -oE '^  [0-9]+ generated' "$tmp/report.txt" | grep -oE '[0-9]+' || echo 0)"
if (( cases < 1000 )); then
  echo "run.sh: only $cases cases generated (at least 1,000 wanted)" >&2
  exit 1
fi
echo "run.sh: $cases cases, no failure"
