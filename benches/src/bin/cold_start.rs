//! P3: Lambda cold start, memory and package size. Each function binary is started
//! `--runs` times under a local Lambda Runtime API; the cold start is the time from spawning
//! the process to its first `/runtime/invocation/next` poll (what Lambda bills as init).
//! The last process of each then serves real invocations on moto (create an endpoint; ingest
//! an event; deliver it to a loopback receiver) and its peak resident memory is read, to
//! show it fits the 128 MB the template gives it. Size is the binary zipped as `bootstrap`,
//! as deployed.
//!
//! Run: `infra/bench.sh` (it builds the release functions and starts moto), or with
//! WEBHOOKS_TEST_AWS_ENDPOINT set and the release functions built:
//! `cargo run --release -p webhooks-benches --bin cold_start -- --runs 20`

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use webhooks_aws::testing;
use webhooks_benches::{arg, Receiver};
use webhooks_tests::lambda::{apigw_event, function_env, http_response, Function};

const FUNCTIONS: [&str; 4] = [
    "webhooks-api",
    "webhooks-ingest",
    "webhooks-delivery",
    "webhooks-counters",
];

/// Size in bytes of `binary` zipped as `bootstrap` with deflate, as a Lambda package.
fn zipped_size(binary: &Path) -> u64 {
    let out = std::env::temp_dir().join(format!("{}.zip", webhooks_core::MessageId::generate()));
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:\n\
             \x20   z.write(sys.argv[2], 'bootstrap')",
        ])
        .arg(&out)
        .arg(binary)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "zipping {} failed", binary.display());
    let size = std::fs::metadata(&out).expect("zip written").len();
    let _ = std::fs::remove_file(out);
    size
}

fn sqs_event(body: &str) -> Value {
    json!({"Records": [{
        "messageId": "m-1", "receiptHandle": "r-1", "body": body,
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:q",
        "awsRegion": "eu-west-3"
    }]})
}

/// One real invocation of each function, in pipeline order, so the delivery process sends a
/// signed request; returns nothing but fails loudly if any step does not do its job.
async fn exercise(
    functions: &[Function],
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    rx: &Receiver,
    stream: &testing::StreamReader,
) {
    let admin = json!({"sub": "admin-1", "enseigne_id": "ENS123", "groups": "[admin]"});
    let create = json!({"url": rx.url(), "event_types": ["INVOICE_VALIDATED"]});
    let resp = functions[0]
        .invoke(apigw_event("POST", "/v1/endpoints", admin, Some(create)))
        .await
        .expect("api answers");
    assert_eq!(http_response(&resp).0, 201, "endpoint created: {resp}");

    let event = json!({"tenant_id": "ENS123", "event_type": "INVOICE_VALIDATED",
                       "event_data": {"invoice_id": "FA-1"}});
    let resp = functions[1]
        .invoke(sqs_event(&event.to_string()))
        .await
        .expect("ingest answers");
    assert_eq!(resp["batchItemFailures"], json!([]), "event ingested");

    let task = sqs
        .receive_message()
        .queue_url(queue)
        .wait_time_seconds(2)
        .send()
        .await
        .expect("receive the delivery task")
        .messages
        .unwrap_or_default();
    let body = task
        .first()
        .and_then(|m| m.body())
        .expect("one delivery task");
    let before = rx.received();
    let resp = functions[2]
        .invoke(sqs_event(body))
        .await
        .expect("delivery answers");
    assert_eq!(resp["batchItemFailures"], json!([]), "delivered");
    assert_eq!(rx.received(), before + 1, "the receiver got the delivery");

    let changes = stream.next_event().await.expect("the log's stream records");
    functions[3]
        .invoke(changes)
        .await
        .expect("counters applied");
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let runs: usize = arg("--runs", 20);
    let dir = PathBuf::from(arg("--dir", "target/release".to_owned()));
    let (names, sdk) = testing::fresh_names().await;
    let rx = Receiver::start(Instant::now(), false).await;
    let ingest_dlq = testing::queue(&sdk, "ingest-dlq").await;
    let env = function_env(&names, &ingest_dlq, "");
    let stream = testing::StreamReader::new(&sdk, &names.table).await;

    let mut last = Vec::new();
    let mut rows = Vec::new();
    for name in FUNCTIONS {
        let path = dir.join(name);
        assert!(path.exists(), "{} is not built", path.display());
        let mut starts = Vec::with_capacity(runs);
        for i in 0..runs {
            let f = Function::start_path(&path, name, &env, Duration::from_secs(60)).await;
            starts.push(f.cold_start().await);
            if i + 1 == runs {
                last.push(f);
            } else {
                f.stop().await;
            }
        }
        let init_rss = last.last().and_then(Function::peak_rss_kib).unwrap_or(0);
        rows.push((name, starts, init_rss, zipped_size(&path), path));
    }
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    exercise(&last, &sqs, &names.delivery_queue_url, &rx, &stream).await;

    println!(
        "\nP3: {runs} cold starts per function from {}",
        dir.display()
    );
    println!("| function | cold start median | max | peak RSS at init | peak RSS after serving | binary | zipped |");
    println!("|---|---|---|---|---|---|---|");
    for ((name, starts, init_rss, zipped, path), f) in rows.into_iter().zip(&last) {
        let max = *starts.iter().max().unwrap_or(&Duration::ZERO);
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.1} MiB | {:.1} MiB | {:.1} MB | **{:.2} MB** |",
            median(starts).as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            init_rss as f64 / 1024.0,
            f.peak_rss_kib().unwrap_or(0) as f64 / 1024.0,
            std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
            zipped as f64 / 1e6,
        );
    }
    for f in last {
        f.stop().await;
    }
}
