#!/usr/bin/env bash
# P1, external mode: the release binary as a self-hosting team runs it, with the receiver
# and the load generator outside it — nginx answering 204 and wrk in a closed loop (32
# connections, a ~600-byte event) — the setup the comparison with Svix used.
#
#   benches/external.sh [seconds, default 15] [fan-outs, default "1 5"]
#
# Installs nginx and wrk (Debian) when missing, builds the release binary, and prints, per
# fan-out: the receiver's ceiling (wrk straight at nginx), events accepted, deliveries, and
# deliveries/s from the first event to the last delivery committed (the endpoints' delivered
# counters, which move in the attempt's own transaction), and the service's CPU time per delivery
# (user and system, from the first event to the end). Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-15}"
fanouts="${2:-1 5}"
connections=32

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light wrk
fi
cargo build --locked --release -q -p pp-svc-webhooks
bin="${WEBHOOKS_BENCH_BIN:-$PWD/target/release/pp-svc-webhooks}"

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

nginx_port="$(free_port)"
cat >"$tmp/nginx.conf" <<EOF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 204; }
  }
}
EOF
nginx -c "$tmp/nginx.conf"
hook="http://127.0.0.1:$nginx_port/hook"

# One event body of about 600 bytes, a fresh invoice id per request.
cat >"$tmp/event.lua" <<'EOF'
local n = 0
local pad = string.rep("x", 390)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
request = function()
  n = n + 1
  local body = string.format('{"tenant_id":"BENCH","event_type":"INVOICE_VALIDATED","event_data":' ..
    '{"invoice_id":"FA-%d-%d","agency_id":"AG-75","amount_excl_tax":1850.4,"amount_incl_tax":2220.48,' ..
    '"currency":"EUR","note":"%s"}}', math.random(1, 1e9), n, pad)
  return wrk.format(nil, nil, nil, body)
end
EOF

requests_of() { grep -oE '^ +[0-9]+ requests' "$1" | grep -oE '[0-9]+'; }
# The service's user and system CPU so far, in clock ticks (/proc/<pid>/stat, fields 14 and 15).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
non2xx_of() { grep -oE 'Non-2xx or 3xx responses: [0-9]+' "$1" | grep -oE '[0-9]+$' || echo 0; }

TOKEN=none wrk -t2 -c"$connections" -d"${seconds}s" -s "$tmp/event.lua" "$hook" >"$tmp/ceiling.txt"
ceiling=$(( $(requests_of "$tmp/ceiling.txt") / seconds ))
echo "receiver ceiling (wrk straight at nginx, $connections connections): $ceiling requests/s"
echo "| fan-out | events accepted | deliveries | all delivered (s) | deliveries/s | ratio to ceiling | service CPU µs/delivery | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"

for fanout in $fanouts; do
  port="$(free_port)"
  rm -rf "$tmp/db"
  WEBHOOKS_LISTEN="127.0.0.1:$port" WEBHOOKS_DB="$tmp/db/webhooks.db" \
    WEBHOOKS_ADMIN_TOKENS="bench-admin-token-0123456789=BENCH" WEBHOOKS_INGEST_TOKEN="bench-ingest-token-0123456789" \
    WEBHOOKS_DEV_RECEIVER=false RUST_LOG=warn "$bin" >"$tmp/server.log" 2>&1 &
  server=$!
  pids+=("$server")
  base="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done
  for _ in $(seq "$fanout"); do
    curl -sf -X POST "$base/v1/endpoints" -H "Authorization: Bearer bench-admin-token-0123456789" \
      -H 'Content-Type: application/json' \
      -d "{\"url\":\"$hook\",\"event_types\":[\"INVOICE_VALIDATED\"]}" >/dev/null
  done
  start=$(date +%s.%N)
  cpu_before=$(cpu_ticks "$server")
  TOKEN=bench-ingest-token-0123456789 wrk -t2 -c"$connections" -d"${seconds}s" -s "$tmp/event.lua" "$base/v1/events" >"$tmp/wrk.txt"
  accepted=$(requests_of "$tmp/wrk.txt")
  refused=$(non2xx_of "$tmp/wrk.txt")
  if [ "$refused" != 0 ]; then
    echo "external.sh: $refused events refused; server log:" >&2
    tail -20 "$tmp/server.log" >&2
    exit 1
  fi
  # wrk does not count the requests still in flight when it stops, though the service
  # accepted them: poll the counters until nothing is in flight, and take the time of the
  # last delivery seen.
  result=$(python3 - "$base" "$(( accepted * fanout ))" "$start" <<'EOF'
import json, sys, time, urllib.request
base, want, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
req = urllib.request.Request(base + "/v1/endpoints", headers={"Authorization": "Bearer bench-admin-token-0123456789"})
deadline, done, last = time.time() + 300, -1, time.time()
while time.time() < deadline:
    data = json.load(urllib.request.urlopen(req))["data"]
    now_done = sum(e["counters"]["delivered"] for e in data)
    if now_done != done:
        done, last = now_done, time.time()
    if done >= want and all(e["counters"]["in_flight"] == 0 for e in data):
        break
    time.sleep(0.02)
elapsed = last - start
print(done, f"{elapsed:.2f}", f"{done / elapsed:.0f}")
EOF
)
  read -r delivered elapsed rate <<<"$result"
  accepted=$(( delivered / fanout ))
  rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$server/status")
  cpu=$(( $(cpu_ticks "$server") - cpu_before ))
  read -r ratio cpu_us <<<"$(python3 -c "print(f'{$rate / $ceiling:.2f}', f'{$cpu / $(getconf CLK_TCK) / $delivered * 1e6:.0f}')")"
  echo "| $fanout | $accepted | $delivered | $elapsed | $rate | $ratio | $cpu_us | $rss |"
  kill "$server"
  wait "$server" 2>/dev/null || true
done
