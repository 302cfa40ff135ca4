#!/usr/bin/env bash
# Browser journey through the admin UI against a real binary (embedded UI files).
#
#   tests/browser/run.sh [path/to/pp-svc-webhooks]   (default target/debug/pp-svc-webhooks,
#                                                      relative to the repository root)
#
# Installs what it needs on a fresh machine (Debian chromium, playwright-core), starts the
# binary on a free port with a throw-away database, runs journey.mjs, and always stops the
# server and removes the temporary directory. Exits non-zero when the journey fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-target/debug/pp-svc-webhooks}"
case "$bin" in
  /*) ;;
  *) bin="$root/$bin" ;;
esac
if [[ ! -x "$bin" ]]; then
  echo "run.sh: binary not found or not executable: $bin (build it first)" >&2
  exit 1
fi

# Headless browser: Debian's chromium (no browser download from elsewhere).
if [[ ! -x /usr/bin/chromium ]]; then
  echo "run.sh: installing chromium" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

# Test driver: playwright-core only, pinned by package-lock.json.
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  if [[ -f "$here/package-lock.json" ]]; then
    (cd "$here" && npm ci --no-audit --no-fund)
  else
    (cd "$here" && npm install --no-audit --no-fund)
  fi
fi

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close();})")"
base="http://127.0.0.1:$port"
admin_token="browser-admin-token-0123456789"
ingest_token="browser-ingest-token-0123456789"

# WEBHOOKS_UI_DIR is removed on purpose: the journey must exercise the embedded files.
env -u WEBHOOKS_UI_DIR \
  WEBHOOKS_LISTEN="127.0.0.1:$port" \
  WEBHOOKS_DB="$tmp/webhooks.db" \
  WEBHOOKS_ADMIN_TOKENS="$admin_token=DEV" \
  WEBHOOKS_INGEST_TOKEN="$ingest_token" \
  WEBHOOKS_ALLOW_PRIVATE_TARGETS=true \
  WEBHOOKS_REQUIRE_HTTPS=false \
  WEBHOOKS_DEV_RECEIVER=true \
  WEBHOOKS_MAX_ATTEMPTS=5 \
  WEBHOOKS_RETRY_BASE_SECONDS=0.2 \
  WEBHOOKS_RETRY_FACTOR=1 \
  WEBHOOKS_FAILING_AFTER_SECONDS=1 \
  RUST_LOG="${RUST_LOG:-warn}" \
  "$bin" >"$tmp/server.log" 2>&1 &
server_pid=$!

health() {
  node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$base/health"
}
for _ in $(seq 1 150); do
  if health; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the server exited during start-up:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
if ! health; then
  echo "run.sh: the server did not answer /health within 30 s:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi

status=0
(cd "$here" && node journey.mjs "$base" "$admin_token" "$ingest_token") || status=$?
if [[ $status -ne 0 ]]; then
  echo "run.sh: journey failed (exit $status); last server log lines:" >&2
  tail -n 40 "$tmp/server.log" >&2
fi
exit "$status"
