//! P2: ingest-to-receipt latency of the local stack at fixed open-loop rates (events are
//! sent on a clock, whether or not earlier ones finished), reported as p50/p95/p99.
//! at fan-out 1 (100 and 500 events/s) and fan-out 5 (500 events/s: 2,500 deliveries/s);
//! latency is per delivery. Writes a CSV for the plot.
//!
//! Run: `cargo run --release -p webhooks-benches --bin latency -- --seconds 10`

use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use webhooks_benches::{arg, percentile, Bench, Receiver};

#[tokio::main]
async fn main() {
    let seconds: f64 = arg("--seconds", 10.0);
    let csv_path: String = arg("--csv", "target/bench-latency.csv".to_owned());
    let epoch = Instant::now();
    let mut csv = String::from("rate,fanout,p50_ms,p95_ms,p99_ms,max_ms\n");
    println!(
        "| events/s | fan-out | deliveries sent | received | p50 ms | p95 ms | p99 ms | max ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (rate, fanout) in [(100u64, 1u64), (500, 1), (500, 5)] {
        let rx = Receiver::start(epoch, true).await;
        let bench = Arc::new(Bench::start(None).await);
        for _ in 0..fanout {
            bench.endpoint(&rx.url()).await;
        }
        let total = (rate as f64 * seconds) as u64;
        let deliveries = total * fanout;
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut sends = Vec::with_capacity(total as usize);
        for _ in 0..total {
            tick.tick().await;
            let bench = bench.clone();
            let sent_us = epoch.elapsed().as_micros() as u64;
            sends.push(tokio::spawn(async move {
                bench
                    .publish(json!({"invoice_id": "FA-2026-000001", "sent_us": sent_us}))
                    .await
            }));
        }
        for s in sends {
            s.await.unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while rx.received() < deliveries && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut lat = rx.latencies_us.lock().unwrap().clone();
        lat.sort_unstable();
        let ms = |p: f64| percentile(&lat, p) as f64 / 1000.0;
        let max = lat.last().copied().unwrap_or(0) as f64 / 1000.0;
        println!(
            "| {rate} | {fanout} | {deliveries} | {} | {:.1} | {:.1} | {:.1} | {max:.1} |",
            lat.len(),
            ms(50.0),
            ms(95.0),
            ms(99.0)
        );
        csv.push_str(&format!(
            "{rate},{fanout},{:.2},{:.2},{:.2},{max:.2}\n",
            ms(50.0),
            ms(95.0),
            ms(99.0)
        ));
        Arc::try_unwrap(bench).ok().unwrap().stack.stop().await;
    }
    if let Some(dir) = std::path::Path::new(&csv_path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&csv_path, csv).unwrap();
    println!("latency percentiles: {csv_path}");
}
