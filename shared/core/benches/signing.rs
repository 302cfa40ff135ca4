//! P5: signing a webhook (both schemes) against raw HMAC-SHA256 over the same bytes, for a
//! 1 KiB and a 64 KiB body. Target: each scheme ≥ 80 % of raw HMAC throughput.
//! Run: `cargo bench -p webhooks-core --bench signing`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::hint::black_box;
use webhooks_core::signing::{native_signature, signature_headers, standard_signature, Secret};

fn signing(c: &mut Criterion) {
    let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let keys = [secret.clone()];
    let key = secret.expose().as_bytes().to_vec();
    for size in [1024usize, 64 * 1024] {
        let body = vec![b'x'; size];
        let mut group = c.benchmark_group(format!("sign_{}k", size / 1024));
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::new("raw_hmac_sha256", size), |b| {
            b.iter(|| {
                let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
                mac.update(b"1764324000.");
                mac.update(black_box(&body));
                black_box(mac.finalize().into_bytes())
            })
        });
        group.bench_function(BenchmarkId::new("native", size), |b| {
            b.iter(|| black_box(native_signature(&keys, 1_764_324_000, black_box(&body))))
        });
        group.bench_function(BenchmarkId::new("standard", size), |b| {
            b.iter(|| {
                black_box(standard_signature(
                    &keys,
                    "msg_01JDXYZ8Q0C4K9M3TPS6V2WHBN",
                    1_764_324_000,
                    black_box(&body),
                ))
            })
        });
        group.bench_function(BenchmarkId::new("both_headers", size), |b| {
            b.iter(|| {
                black_box(signature_headers(
                    &keys,
                    "msg_01JDXYZ8Q0C4K9M3TPS6V2WHBN",
                    1_764_324_000,
                    black_box(&body),
                ))
            })
        });
        group.finish();
    }
}

criterion_group!(benches, signing);
criterion_main!(benches);
