//! P6: what checking an event at publish costs: decoding and validating a 1 KiB
//! INVOICE_VALIDATED event against the built-in catalog (its JSON Schema, compiled once)
//! and against the same catalog without schemas; compiling an endpoint filter, and
//! evaluating it on the event.
//! Run: `cargo bench -p webhooks-core --bench publish`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use webhooks_core::catalog::Catalog;
use webhooks_core::filter::{EventContext, Filter};
use webhooks_core::validation::decode_event;

fn event() -> Vec<u8> {
    let lines: Vec<_> = (0..6)
        .map(|l| serde_json::json!({"sku": format!("MISSION-1-{l}"), "label": "Heures normales intérimaire", "hours": 35.0, "rate": 14.25}))
        .collect();
    serde_json::to_vec(&serde_json::json!({"tenant_id": "ENS123", "event_type": "INVOICE_VALIDATED",
        "event_id": "FA-2026-000001", "event_data": {"invoice_id": "FA-2026-000001", "agency_id": "AG-75",
        "amount_excl_tax": 1850.40, "amount_incl_tax": 2220.48, "currency": "EUR", "lines": lines}}))
    .unwrap()
}

/// The built-in catalog with every `schema` removed.
fn without_schemas() -> Catalog {
    let mut list: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../catalog/event-types.json")).unwrap();
    for t in &mut list {
        t.as_object_mut().unwrap().remove("schema");
    }
    Catalog::from_json(&serde_json::to_string(&list).unwrap()).unwrap()
}

fn publish(c: &mut Criterion) {
    let raw = event();
    let (with, without) = (Catalog::built_in(), without_schemas());
    let mut group = c.benchmark_group("publish_1k");
    group.bench_function("decode_no_schema", |b| {
        b.iter(|| black_box(decode_event(black_box(&raw), &without).unwrap()))
    });
    group.bench_function("decode_and_schema", |b| {
        b.iter(|| black_box(decode_event(black_box(&raw), &with).unwrap()))
    });
    let ev = decode_event(&raw, &with).unwrap();
    let source = r#"event_data.agency_id in ["AG-75", "AG-69"] && double(event_data.amount_excl_tax) >= 1000.0"#;
    group.bench_function("filter_compile", |b| {
        b.iter(|| black_box(Filter::compile(black_box(source)).unwrap()))
    });
    let filter = Filter::compile(source).unwrap();
    group.bench_function("filter_context_and_eval", |b| {
        b.iter(|| {
            let ctx = EventContext::new(&ev.event_type, &ev.event_data);
            black_box(filter.matches(&ctx).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, publish);
criterion_main!(benches);
