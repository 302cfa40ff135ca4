//! Signature verification on arbitrary headers and bodies: never panics, never accepts a
//! header it did not sign, and always accepts what it signed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use webhooks_core::signing::{native_signature, standard_signature, verify_native, verify_standard, Secret};

fuzz_target!(|data: &[u8]| {
    let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    // The first bytes are a header, the rest the body.
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (header, body) = (String::from_utf8_lossy(&data[..split]), &data[split.min(data.len())..]);
    let now = 1_700_000_000;
    let native_ok = verify_native(&header, body, &secret, now, 300).is_ok();
    let standard_ok = verify_standard("msg_fuzz", "1700000000", &header, body, &secret, now, 300).is_ok();
    // A random header matching a real MAC would be a forgery.
    let signed_native = native_signature(std::slice::from_ref(&secret), now, body);
    let signed_standard = standard_signature(std::slice::from_ref(&secret), "msg_fuzz", now, body);
    assert!(!native_ok || header.contains(&signed_native["t=1700000000,sig=".len()..]));
    assert!(!standard_ok || header.contains(&signed_standard[3..]));
    assert!(verify_native(&signed_native, body, &secret, now, 300).is_ok());
    assert!(verify_standard("msg_fuzz", "1700000000", &signed_standard, body, &secret, now, 300).is_ok());
});
