//! What a run cost: the AWS requests, write and read units it measured, and their price.

use std::collections::BTreeMap;
use webhooks_aws::{item_from_json, item_size, write_units, RequestCounter};

/// Paris (eu-west-3) list prices in dollars, read 2026-12-01 (sources in docs/COSTS.md).
const WRU: f64 = 0.7423e-6;
const RRU: f64 = 0.1487e-6;
const SQS_REQUEST: f64 = 0.40e-6;
const LAMBDA_REQUEST: f64 = 0.20e-6;
const LAMBDA_GB_S_ARM: f64 = 0.000_013_333_4;
const LOG_GB: f64 = 0.5985;
/// Assumed Lambda durations (moto says nothing of them): ingest 128 MB, 30 ms a batch;
/// delivery 256 MB, 150 ms a batch (a receiver answering in 100 ms, sends concurrent);
/// counters 128 MB, 30 ms a batch.
const INGEST_GB_S: f64 = 0.125 * 0.030;
const DELIVERY_GB_S: f64 = 0.25 * 0.150;
const COUNTERS_GB_S: f64 = 0.125 * 0.030;
/// Log bytes per delivered message at the default level, from the Lambda end-to-end test
/// (`a_delivered_message_writes_at_most_300_bytes_of_logs`), at fill 1 and fill 10.
const LOG_BYTES: [(usize, f64); 2] = [(1, 272.0), (10, 29.1)];

type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// What a run measured.
#[derive(Default)]
pub(super) struct Measured {
    pub(super) calls: BTreeMap<String, u64>,
    pub(super) wru: BTreeMap<&'static str, u64>,
    pub(super) rru: f64,
    pub(super) invocations: [u64; 3],
}

impl Measured {
    /// What `self` cost beyond `base`.
    pub(super) fn minus(&self, base: &Measured) -> Measured {
        let mut out = Measured {
            rru: self.rru - base.rru,
            ..Measured::default()
        };
        for (op, n) in &self.calls {
            out.calls.insert(
                op.clone(),
                n.saturating_sub(*base.calls.get(op).unwrap_or(&0)),
            );
        }
        for (what, n) in &self.wru {
            out.wru
                .insert(what, n.saturating_sub(*base.wru.get(what).unwrap_or(&0)));
        }
        for i in 0..3 {
            out.invocations[i] = self.invocations[i].saturating_sub(base.invocations[i]);
        }
        out
    }

    pub(super) fn add_calls(&mut self, prefix: &str, c: &RequestCounter) {
        for (op, n) in c.snapshot() {
            *self.calls.entry(format!("{prefix}{op}")).or_default() += n;
        }
        self.rru += c.read_units();
    }
}

/// The write units of every write in the stream's records, by what was written.
pub(super) fn wru_of(events: &[serde_json::Value], into: &mut BTreeMap<&'static str, u64>) {
    for e in events {
        for r in e["Records"].as_array().into_iter().flatten() {
            let d = &r["dynamodb"];
            let image = |k: &str| (!d[k].is_null()).then(|| item_from_json(&d[k]).unwrap());
            let (old, new) = (image("OldImage"), image("NewImage"));
            // moto streams an `UpdateItem` that creates an item as two records, a first with
            // the keys alone; DynamoDB streams one record per write.
            if old.is_none() && new.as_ref().is_some_and(|i| i.len() == 2) {
                continue;
            }
            let size = old
                .iter()
                .chain(new.iter())
                .map(item_size)
                .max()
                .unwrap_or(0);
            let sk = d["Keys"]["sk"]["S"].as_str().unwrap_or_default();
            let pk = d["Keys"]["pk"]["S"].as_str().unwrap_or_default();
            let what = match (pk.get(..2), sk.get(..2), r["eventName"].as_str()) {
                (Some("M#"), _, _) => "ingest: message",
                (_, Some("D#"), Some("INSERT")) => "delivery: log entry created (first attempt)",
                (_, Some("D#"), _) => "delivery: log entry updated",
                (_, Some("EP"), _) => "counters function: endpoint",
                (_, Some("H#"), _) => "counters function: hourly stats",
                _ => "other",
            };
            *into.entry(what).or_default() += write_units(size);
            let gsi = |i: &Option<Item>| i.as_ref().and_then(|i| i.get("gsi1pk").cloned());
            // The index projects status and due time: a change of either in an item that
            // stays in it rewrites its index item too.
            let projected = |i: &Option<Item>| {
                i.as_ref()
                    .map(|i| (i.get("status").cloned(), i.get("next_attempt_at").cloned()))
            };
            let index = match (gsi(&old), gsi(&new)) {
                (None, None) => 0,
                (Some(a), Some(b)) if a == b => u64::from(projected(&old) != projected(&new)),
                (Some(_), Some(_)) => 2,
                _ => 1,
            };
            *into
                .entry("index (gsi1: keys, status, due time)")
                .or_default() += index;
        }
    }
}

pub(super) fn report(title: &str, per: f64, fill: usize, m: &Measured) {
    println!("\n### {title}\n");
    println!("| | per unit |\n|---|---|");
    let mut requests = 0.0;
    for (op, n) in &m.calls {
        let v = *n as f64 / per;
        requests += v;
        println!("| {op} | {v:.2} |");
    }
    println!("| **AWS requests** | **{requests:.2}** |");
    let mut wru = 0.0;
    for (what, n) in &m.wru {
        let v = *n as f64 / per;
        wru += v;
        println!("| WRU, {what} | {v:.2} |");
    }
    println!("| **write units (WRU)** | **{wru:.2}** |");
    println!("| **read units (RRU)** | **{:.2}** |", m.rru / per);
    let inv: Vec<f64> = m.invocations.iter().map(|n| *n as f64 / per).collect();
    println!(
        "| Lambda invocations: ingest, delivery, counters | {:.2}, {:.2}, {:.2} |",
        inv[0], inv[1], inv[2]
    );
    let sqs: f64 = (m.calls.iter())
        .filter(|(op, _)| op.contains("SQS."))
        .map(|(_, n)| *n as f64 / per)
        .sum();
    let dynamo = wru * WRU + m.rru / per * RRU;
    let lambda = inv.iter().sum::<f64>() * LAMBDA_REQUEST
        + (inv[0] * INGEST_GB_S + inv[1] * DELIVERY_GB_S + inv[2] * COUNTERS_GB_S)
            * LAMBDA_GB_S_ARM;
    let log_bytes = LOG_BYTES
        .iter()
        .find(|(f, _)| *f == fill)
        .map_or(0.0, |(_, b)| *b);
    let logs = log_bytes / 1e9 * LOG_GB;
    let total = dynamo + sqs * SQS_REQUEST + lambda + logs;
    println!(
        "| **$ per million** (DynamoDB {:.2}, SQS {:.2}, Lambda {:.2}, logs {:.2}) | **{:.2}** |",
        dynamo * 1e6,
        sqs * SQS_REQUEST * 1e6,
        lambda * 1e6,
        logs * 1e6,
        total * 1e6
    );
}
