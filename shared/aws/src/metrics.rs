//! CloudWatch metrics as Embedded Metric Format: one JSON log line per record, which
//! CloudWatch turns into metrics without any API call from the function. Log bytes are
//! billed, so functions write one record per invocation, not per message, with only the
//! metrics that are not zero, and dimensions stay bounded (the function).

use serde_json::{json, Map, Value};

/// Metric namespace used by the template's alarms.
pub const NAMESPACE: &str = "PpSvcWebhooks";

/// One EMF record: metrics `(name, unit, value)`, where a value is a number or an array
/// of numbers (several samples in one record), published under each of the dimension
/// `sets` (names from `dimensions`, which holds their values), plus free-form `properties`.
pub fn emit(
    dimensions: &[(&str, &str)],
    sets: &[&[&str]],
    metrics: &[(&str, &str, Value)],
    properties: &[(&str, Value)],
) {
    let mut record = Map::new();
    for (k, v) in dimensions {
        record.insert((*k).to_owned(), json!(v));
    }
    for (k, v) in properties {
        record.insert((*k).to_owned(), v.clone());
    }
    for (name, _, value) in metrics {
        record.insert((*name).to_owned(), value.clone());
    }
    record.insert(
        "_aws".into(),
        json!({
            "Timestamp": chrono::Utc::now().timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": sets,
                "Metrics": metrics.iter().map(|(n, u, _)| json!({"Name": n, "Unit": u})).collect::<Vec<_>>(),
            }]
        }),
    );
    // An EMF record must be exactly one log line.
    println!("{}", Value::Object(record));
}
