//! Endpoint secrets and the two signature schemes (docs/RECEIVING.md): the native
//! `pp-svc-webhooks-signature` header and Standard Webhooks v1. Receivers written in
//! Rust can use [`verify_native`] and [`verify_standard`] directly.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// Native signature header: `t=<unix seconds>,sig=<hex>[,sig=<hex>…]`.
pub const NATIVE_HEADER: &str = "pp-svc-webhooks-signature";
/// Standard Webhooks headers.
pub const WEBHOOK_ID: &str = "webhook-id";
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";
/// Verifiers accept timestamps this many seconds away from their clock, either way.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

const SECRET_PREFIX: &str = "whsec_";

/// An endpoint signing secret, `whsec_` + base64 of random bytes.
/// Its `Debug` never shows the value, so it cannot leak through logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    text: String,
    key: Vec<u8>,
}

/// A string is not a usable secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a secret is \"whsec_\" followed by base64 of 24 to 64 bytes")]
pub struct SecretError;

impl Secret {
    /// A fresh secret from 32 bytes of the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// The secret whose key is `bytes` (random, or derived from a key that is).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self {
            text: format!("{SECRET_PREFIX}{}", B64.encode(bytes)),
            key: bytes.to_vec(),
        }
    }

    /// Parses a secret as shown to the admin.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let b64 = text.strip_prefix(SECRET_PREFIX).ok_or(SecretError)?;
        let key = B64.decode(b64).map_err(|_| SecretError)?;
        if !(24..=64).contains(&key.len()) {
            return Err(SecretError);
        }
        Ok(Self {
            text: text.to_owned(),
            key,
        })
    }

    /// The secret as shown to the admin. Call only to store it or to show it once.
    pub fn expose(&self) -> &str {
        &self.text
    }

    fn native_mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        HmacSha256::new_from_slice(self.text.as_bytes()).expect("hmac takes any key")
    }

    fn standard_mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("hmac takes any key")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

fn native_mac_for(secret: &Secret, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = secret.native_mac();
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn standard_mac_for(secret: &Secret, msg_id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = secret.standard_mac();
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Value of the native header, one `sig=` entry per secret (several during a rotation).
pub fn native_signature(secrets: &[Secret], timestamp: i64, body: &[u8]) -> String {
    let mut out = format!("t={timestamp}");
    for s in secrets {
        out.push_str(",sig=");
        out.push_str(&hex::encode(
            native_mac_for(s, timestamp, body).finalize().into_bytes(),
        ));
    }
    out
}

/// Value of `webhook-signature`, space-separated `v1,<base64>` entries, one per secret.
pub fn standard_signature(secrets: &[Secret], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| {
            let sig = standard_mac_for(s, msg_id, timestamp, body)
                .finalize()
                .into_bytes();
            format!("v1,{}", B64.encode(sig))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// All signature headers of one attempt, in a fixed order.
pub fn signature_headers(
    secrets: &[Secret],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> [(&'static str, String); 4] {
    [
        (NATIVE_HEADER, native_signature(secrets, timestamp, body)),
        (WEBHOOK_ID, msg_id.to_owned()),
        (WEBHOOK_TIMESTAMP, timestamp.to_string()),
        (
            WEBHOOK_SIGNATURE,
            standard_signature(secrets, msg_id, timestamp, body),
        ),
    ]
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("signature header is missing or malformed")]
    Malformed,
    #[error("timestamp is outside the tolerance window")]
    Expired,
    #[error("no signature matches")]
    Mismatch,
}

fn check_time(timestamp: i64, now: i64, tolerance_secs: i64) -> Result<(), VerifyError> {
    if (now - timestamp).abs() > tolerance_secs {
        Err(VerifyError::Expired)
    } else {
        Ok(())
    }
}

/// Verifies a native `pp-svc-webhooks-signature` header against the raw body.
/// Accepts the request when any `sig=` entry matches; comparison is constant-time.
pub fn verify_native(
    header: &str,
    body: &[u8],
    secret: &Secret,
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => {
                timestamp = Some(v.parse::<i64>().map_err(|_| VerifyError::Malformed)?)
            }
            Some(("sig", v)) => sigs.push(v),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::Malformed)?;
    if sigs.is_empty() {
        return Err(VerifyError::Malformed);
    }
    check_time(timestamp, now_unix, tolerance_secs)?;
    let expected = native_mac_for(secret, timestamp, body);
    let ok = sigs.iter().any(|sig| {
        hex::decode(sig)
            .map(|raw| expected.clone().verify_slice(&raw).is_ok())
            .unwrap_or(false)
    });
    ok.then_some(()).ok_or(VerifyError::Mismatch)
}

/// Verifies Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`) against the raw body; comparison is constant-time.
pub fn verify_standard(
    msg_id: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    secret: &Secret,
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let timestamp: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::Malformed)?;
    check_time(timestamp, now_unix, tolerance_secs)?;
    let expected = standard_mac_for(secret, msg_id, timestamp, body);
    let ok = signature.split_whitespace().any(|entry| {
        entry
            .strip_prefix("v1,")
            .and_then(|b64| B64.decode(b64).ok())
            .is_some_and(|raw| expected.clone().verify_slice(&raw).is_ok())
    });
    ok.then_some(()).ok_or(VerifyError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn generated_secrets_have_the_documented_shape() {
        let s = Secret::generate();
        assert!(s.expose().starts_with("whsec_"));
        assert_eq!(B64.decode(&s.expose()[6..]).unwrap().len(), 32);
        assert_ne!(s, Secret::generate());
        assert_eq!(Secret::parse(s.expose()).unwrap(), s);
        assert!(!format!("{s:?}").contains(&s.expose()[6..]));
    }

    #[test]
    fn bad_secrets_are_rejected() {
        assert!(Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(Secret::parse("whsec_!!!").is_err());
        assert!(Secret::parse("whsec_AAAA").is_err());
    }

    /// The published Standard Webhooks test vector.
    #[test]
    fn standard_webhooks_spec_vector() {
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        let sig = standard_signature(
            std::slice::from_ref(&secret),
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            body,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        verify_standard(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            &sig,
            body,
            &secret,
            1614265330 + 10,
            300,
        )
        .unwrap();
    }

    #[derive(Deserialize)]
    struct NativeVector {
        secret: String,
        timestamp: i64,
        body: String,
        header: String,
    }

    /// Vectors computed with Python's `hmac` by `infra/scripts/native_vectors.py`.
    #[test]
    fn native_vectors_from_python() {
        let vectors: Vec<NativeVector> =
            serde_json::from_str(include_str!("../tests/fixtures/native_vectors.json")).unwrap();
        assert!(vectors.len() >= 3);
        for v in vectors {
            let secret = Secret::parse(&v.secret).unwrap();
            let header = native_signature(
                std::slice::from_ref(&secret),
                v.timestamp,
                v.body.as_bytes(),
            );
            assert_eq!(header, v.header);
            verify_native(&v.header, v.body.as_bytes(), &secret, v.timestamp, 300).unwrap();
        }
    }

    #[test]
    fn verification_fails_on_tampering_wrong_key_and_old_timestamps() {
        let secret = Secret::generate();
        let other = Secret::generate();
        let body = br#"{"a":1}"#;
        let h = native_signature(std::slice::from_ref(&secret), 1000, body);
        assert_eq!(verify_native(&h, body, &secret, 1000, 300), Ok(()));
        assert_eq!(
            verify_native(&h, b"{\"a\":2}", &secret, 1000, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_native(&h, body, &other, 1000, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_native(&h, body, &secret, 1301, 300),
            Err(VerifyError::Expired)
        );
        assert_eq!(
            verify_native("sig=00", body, &secret, 1000, 300),
            Err(VerifyError::Malformed)
        );

        let s = standard_signature(std::slice::from_ref(&secret), "msg_1", 1000, body);
        assert_eq!(
            verify_standard("msg_1", "1000", &s, body, &secret, 1000, 300),
            Ok(())
        );
        assert_eq!(
            verify_standard("msg_2", "1000", &s, body, &secret, 1000, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_standard("msg_1", "1000", &s, body, &secret, 699, 300),
            Err(VerifyError::Expired)
        );
        assert_eq!(
            verify_standard("msg_1", "x", &s, body, &secret, 1000, 300),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn every_secret_of_a_rotation_verifies() {
        let old = Secret::generate();
        let new = Secret::generate();
        let both = [new.clone(), old.clone()];
        let body = b"{}";
        let n = native_signature(&both, 5, body);
        assert_eq!(n.matches("sig=").count(), 2);
        let s = standard_signature(&both, "msg_x", 5, body);
        assert_eq!(s.split(' ').count(), 2);
        for k in [&old, &new] {
            verify_native(&n, body, k, 5, 300).unwrap();
            verify_standard("msg_x", "5", &s, body, k, 5, 300).unwrap();
        }
    }
}
