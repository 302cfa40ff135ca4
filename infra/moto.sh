# Sourced by the test scripts: starts moto_server (from ./.venv) on a free 127.0.0.1 port,
# exports what the AWS SDK and the tests need to use it, and stops it when the shell exits.

start_moto() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p target
  .venv/bin/moto_server -H 127.0.0.1 -p "$port" > target/moto.log 2>&1 &
  MOTO_PID=$!
  trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  export WEBHOOKS_TEST_AWS_ENDPOINT="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=eu-west-3
  export AWS_EC2_METADATA_DISABLED=true
  echo "== moto server on $WEBHOOKS_TEST_AWS_ENDPOINT (pid $MOTO_PID, log target/moto.log)"
}
