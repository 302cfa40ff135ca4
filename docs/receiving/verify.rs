use http::HeaderMap;
use std::time::{SystemTime, UNIX_EPOCH};
use webhooks_core::signing::{verify_native, verify_standard, Secret, DEFAULT_TOLERANCE_SECS};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Checks `pp-svc-webhooks-signature` against the raw body.
pub fn native_ok(headers: &HeaderMap, body: &[u8], secret: &str) -> bool {
    let Ok(secret) = Secret::parse(secret) else { return false };
    let sig = header(headers, "pp-svc-webhooks-signature");
    verify_native(sig, body, &secret, now(), DEFAULT_TOLERANCE_SECS).is_ok()
}

/// Checks the Standard Webhooks headers against the raw body.
pub fn standard_ok(headers: &HeaderMap, body: &[u8], secret: &str) -> bool {
    let Ok(secret) = Secret::parse(secret) else { return false };
    let (id, ts) = (header(headers, "webhook-id"), header(headers, "webhook-timestamp"));
    let sig = header(headers, "webhook-signature");
    verify_standard(id, ts, sig, body, &secret, now(), DEFAULT_TOLERANCE_SECS).is_ok()
}
