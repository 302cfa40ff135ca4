//! P1: sustained deliveries per second of the local stack, end to end — events ingested
//! over HTTP, fanned out, signed, POSTed to a loopback receiver answering 2xx, attempts
//! recorded in SQLite — with fan-out 1 and 5; against a ceiling measured by the same load
//! generator hitting a receiver directly, right before and right after each scenario.
//! Prints a table; writes a CSV of deliveries over time for the plot. Everything runs in
//! this one process on this machine's 2 cores.
//!
//! Run: `cargo run --release -p webhooks-benches --bin throughput -- --events 20000`
//! (`--fanouts 1` for one scenario, `--workers N` for the worker's concurrency).

use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use webhooks_benches::{
    arg, cpu_seconds, peak_rss_mib, reset_peak_rss, thread_cpu_seconds, Bench, Receiver,
};

/// Runs `total` jobs with at most `concurrency` in flight. Finished tasks are reaped as it
/// goes: a join handle keeps its task's memory, and 20,000 kept would weigh on the peak RSS.
async fn closed_loop<F, Fut>(total: u64, concurrency: usize, job: F)
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        if tasks.len() >= concurrency {
            tasks.join_next().await.unwrap().unwrap();
        }
        tasks.spawn(job(i));
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

/// The load generator straight at a receiver of its own, as a ceiling for the stack's rate.
struct Ceiling {
    rx: Receiver,
    http: reqwest::Client,
    body: bytes::Bytes,
    requests: u64,
    concurrency: usize,
}

impl Ceiling {
    async fn start(epoch: Instant, requests: u64, concurrency: usize) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .unwrap();
        let rx = Receiver::start(epoch, false).await;
        Self {
            rx,
            http,
            body: bytes::Bytes::from(vec![b'x'; 300]),
            requests,
            concurrency,
        }
    }

    /// Requests per second the receiver takes from the generator now.
    async fn measure(&self) -> f64 {
        let t = Instant::now();
        closed_loop(self.requests, self.concurrency, |_| {
            let (http, url, body) = (self.http.clone(), self.rx.url(), self.body.clone());
            async move {
                http.post(url).body(body).send().await.unwrap();
            }
        })
        .await;
        self.requests as f64 / t.elapsed().as_secs_f64()
    }
}

#[tokio::main]
async fn main() {
    let events: u64 = arg("--events", 20_000);
    let concurrency: usize = arg("--concurrency", 64);
    let csv_path: String = arg("--csv", "target/bench-throughput.csv".to_owned());
    let epoch = Instant::now();
    let mut csv = String::from("scenario,seconds,deliveries\n");

    // The ceiling is measured right before and right after each scenario and the ratio taken
    // to their mean: on this shared machine it moved by a third between consecutive runs, so
    // one figure from the start of the run let the later ratios drift with it.
    let ceiling = Ceiling::start(epoch, events, concurrency).await;
    println!("the receiver's ceiling: the same generator straight at it, {events} requests, {concurrency} in flight, before and after each scenario");
    println!("| fan-out | events | deliveries | all accepted (s) | all delivered (s) | deliveries/s | ceiling before · after, requests/s | ratio to ceiling | CPU cores used | SQLite writer µs/delivery | peak RSS MiB |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");

    let fanouts: String = arg("--fanouts", "1,5".to_owned());
    // 0: the worker's default.
    let workers = Some(arg("--workers", 0usize)).filter(|w| *w > 0);
    for fanout in fanouts
        .split(',')
        .filter_map(|f| f.trim().parse::<u64>().ok())
    {
        let before = ceiling.measure().await;
        // On stderr, for benches/flame.sh to profile the stack's run alone.
        eprintln!("fan-out {fanout}: ceiling {before:.0} requests/s; running the stack");
        reset_peak_rss();
        let rx = Receiver::start(epoch, false).await;
        let bench = Arc::new(Bench::start(workers).await);
        for _ in 0..fanout {
            bench.endpoint(&rx.url()).await;
        }
        let n_events = events / fanout;
        let deliveries = n_events * fanout;
        let (cpu0, t0) = (cpu_seconds(), Instant::now());
        let writer0 = thread_cpu_seconds("sqlite-writer");
        let sampler = {
            let rx = rx.clone();
            tokio::spawn(async move {
                let mut rows = Vec::new();
                loop {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    rows.push((t0.elapsed().as_secs_f64(), rx.received()));
                    if rx.received() >= deliveries {
                        return rows;
                    }
                }
            })
        };
        closed_loop(n_events, concurrency, |i| {
            let bench = bench.clone();
            async move {
                bench
                    .publish(json!({"invoice_id": format!("FA-{i}"), "amount": 1850.4}))
                    .await
            }
        })
        .await;
        let accepted = t0.elapsed().as_secs_f64();
        // The end is taken to the millisecond, not at the sampler's 250 ms tick.
        while rx.received() < deliveries {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let secs = t0.elapsed().as_secs_f64();
        let rows = sampler.await.unwrap();
        let rate = deliveries as f64 / secs;
        let cores = (cpu_seconds() - cpu0) / secs;
        // The writer is the one serial stage: its CPU per delivery bounds the rate.
        let writer_us = (thread_cpu_seconds("sqlite-writer") - writer0) * 1e6 / deliveries as f64;
        let rss = peak_rss_mib();
        let after = ceiling.measure().await;
        println!(
            "| {fanout} | {n_events} | {deliveries} | {accepted:.2} | {secs:.2} | {rate:.0} | {before:.0} · {after:.0} | {:.2} | {cores:.2} | {writer_us:.1} | {rss:.0} |",
            rate / ((before + after) / 2.0),
        );
        for (s, n) in rows {
            csv.push_str(&format!("fan-out {fanout},{s:.2},{n}\n"));
        }
        Arc::try_unwrap(bench).ok().unwrap().stack.stop().await;
    }
    if let Some(dir) = std::path::Path::new(&csv_path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&csv_path, csv).unwrap();
    println!("deliveries over time: {csv_path}");
}
