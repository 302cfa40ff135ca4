#!/usr/bin/env python3
"""Writes shared/core/tests/fixtures/native_vectors.json: native-signature test vectors
computed with Python's hmac, independently of the Rust implementation.

Usage: python3 infra/scripts/native_vectors.py > shared/core/tests/fixtures/native_vectors.json
"""
import base64
import hashlib
import hmac
import json

CASES = [
    ("whsec_" + base64.b64encode(bytes(range(32))).decode(), 1764324000,
     '{"event_id":"msg_01JDXYZ","event_type":"INVOICE_VALIDATED","created_at":"2026-11-28T10:00:00Z","event_data":{"invoice_id":"FA-1"}}'),
    ("whsec_" + base64.b64encode(b"\xff" * 32).decode(), 0, "{}"),
    ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1614265330, '{"test": 2432232314}'),
    ("whsec_" + base64.b64encode(b"peopulse-webhooks-fixture-key-32").decode(), 1893456000,
     '{"event_data":{"nom":"Élodie","montant":1850.4}}'),
]

vectors = []
for secret, t, body in CASES:
    mac = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    vectors.append({"secret": secret, "timestamp": t, "body": body, "header": f"t={t},sig={mac}"})
print(json.dumps(vectors, indent=2, ensure_ascii=False))
