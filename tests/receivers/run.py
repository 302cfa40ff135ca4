#!/usr/bin/env python3
"""Runs the receivers' guide snippets (docs/receiving/verify.py and verify.mjs) against a
real delivery: starts the local binary, creates an endpoint on its built-in receiver,
rotates the secret (so two secrets sign), publishes an event and checks the captured
request with each snippet. The Rust snippet is checked by `cargo test` (tests/tests/e2e/receiving_guide.rs).

Usage: run.py <path to the pp-svc-webhooks binary>   (prints "N passed, M failed")
"""
import base64
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADMIN = "guide-admin-token-0123456789"
INGEST = "guide-ingest-token-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token=None, body=None):
    req = urllib.request.Request(base + path, method=method)
    if token:
        req.add_header("authorization", f"Bearer {token}")
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(req, data=data, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def capture(binary, workdir):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ,
               WEBHOOKS_LISTEN=f"127.0.0.1:{port}", WEBHOOKS_DB=os.path.join(workdir, "w.db"),
               WEBHOOKS_ADMIN_TOKENS=f"{ADMIN}=DEV", WEBHOOKS_INGEST_TOKEN=INGEST, RUST_LOG="warn")
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                call(base, "GET", "/health")
                break
            except OSError:
                time.sleep(0.05)
        ep = call(base, "POST", "/v1/endpoints", ADMIN,
                  {"url": f"{base}/dev/receiver", "event_types": ["INVOICE_VALIDATED"]})
        rotated = call(base, "POST", f"/v1/endpoints/{ep['id']}/rotate-secret", ADMIN)
        call(base, "POST", "/v1/events", INGEST,
             {"tenant_id": "DEV", "event_type": "INVOICE_VALIDATED", "event_data": {"invoice_id": "FA-2026-001234"}})
        for _ in range(200):
            got = call(base, "GET", "/dev/receiver")
            if got:
                req = got[0]
                return {"headers": dict(req["headers"]), "body": req["body"],
                        "secrets": [ep["secret"], rotated["secret"]],
                        "wrong_secret": "whsec_" + base64.b64encode(os.urandom(32)).decode()}
            time.sleep(0.05)
        raise SystemExit("no delivery reached the receiver")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def python_checks(req):
    spec = importlib.util.spec_from_file_location("verify", os.path.join(ROOT, "docs/receiving/verify.py"))
    verify = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(verify)
    body = req["body"].encode()
    tampered = req["body"].replace("FA-", "FB-").encode()
    native = req["headers"]["pp-svc-webhooks-signature"]
    checks = []
    for secret in req["secrets"]:
        checks.append(("native", verify.verify_native(native, body, secret) is True))
        checks.append(("standard", verify.verify_standard(req["headers"], body, secret) is True))
        checks.append(("native rejects tampering", verify.verify_native(native, tampered, secret) is False))
        checks.append(("standard rejects tampering", verify.verify_standard(req["headers"], tampered, secret) is False))
    checks.append(("native rejects a wrong secret", verify.verify_native(native, body, req["wrong_secret"]) is False))
    checks.append(("standard rejects a wrong secret",
                   verify.verify_standard(req["headers"], body, req["wrong_secret"]) is False))
    return checks


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/debug/pp-svc-webhooks"))
    with tempfile.TemporaryDirectory() as workdir:
        req = capture(binary, workdir)
        assert req["headers"]["pp-svc-webhooks-signature"].count("sig=") == 2, "rotation should give two signatures"
        checks = python_checks(req)
        for name, ok in checks:
            if not ok:
                print(f"FAILED python: {name}")
        path = os.path.join(workdir, "request.json")
        with open(path, "w") as f:
            json.dump(req, f)
        node = subprocess.run(["node", os.path.join(ROOT, "tests/receivers/check.mjs"), path])
    passed = sum(ok for _, ok in checks)
    failed = len(checks) - passed + (1 if node.returncode else 0)
    print(f"receivers' guide (python): {passed} passed, {len(checks) - passed} failed")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
