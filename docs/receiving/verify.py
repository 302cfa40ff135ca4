import hashlib
import hmac
import time

from standardwebhooks import Webhook  # pip install standardwebhooks

TOLERANCE = 300  # seconds


def verify_native(header: str, body: bytes, secret: str) -> bool:
    """pp-svc-webhooks-signature: t=<unix>,sig=<hex>[,sig=<hex>]"""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    t = next((v for k, v in parts if k == "t"), None)
    if t is None or abs(time.time() - int(t)) > TOLERANCE:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return any(k == "sig" and hmac.compare_digest(v, expected) for k, v in parts)


def verify_standard(headers: dict, body: bytes, secret: str) -> bool:
    """webhook-id, webhook-timestamp, webhook-signature (Standard Webhooks v1)"""
    try:
        Webhook(secret).verify(body, headers)
        return True
    except Exception:
        return False
