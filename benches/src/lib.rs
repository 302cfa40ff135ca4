//! Shared pieces of the bench binaries: a lean loopback receiver that counts deliveries and
//! measures latency, a local stack on a throw-away database, and process CPU/memory figures.

// The allocator the local binary uses, for every bench binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use webhooks_core::retry::RetryPolicy;
use webhooks_core::TenantId;
use webhooks_local_stack::config::Config;
use webhooks_local_stack::{start, LocalStack};

pub const ADMIN: &str = "bench-admin-token-0123456789";
pub const INGEST: &str = "bench-ingest-token-0123456789";

/// Counts POSTs; when a body carries `event_data.sent_us` (µs since `epoch`), records the
/// ingest-to-receipt latency.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    pub count: Arc<AtomicU64>,
    pub latencies_us: Arc<Mutex<Vec<u64>>>,
    pub epoch: Instant,
}

#[derive(Clone)]
struct RxState {
    count: Arc<AtomicU64>,
    latencies_us: Arc<Mutex<Vec<u64>>>,
    epoch: Instant,
    measure: bool,
}

async fn receive(State(s): State<RxState>, body: Bytes) -> StatusCode {
    if s.measure {
        let now = s.epoch.elapsed().as_micros() as u64;
        if let Some(sent) = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["event_data"]["sent_us"].as_u64())
        {
            s.latencies_us
                .lock()
                .unwrap()
                .push(now.saturating_sub(sent));
        }
    }
    s.count.fetch_add(1, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

impl Receiver {
    pub async fn start(epoch: Instant, measure_latency: bool) -> Self {
        let count = Arc::new(AtomicU64::new(0));
        let latencies_us = Arc::new(Mutex::new(Vec::new()));
        let state = RxState {
            count: count.clone(),
            latencies_us: latencies_us.clone(),
            epoch,
            measure: measure_latency,
        };
        let app = Router::new()
            .route("/hook", post(receive))
            // A receiver in maintenance: 503 with a typical error page.
            .route(
                "/down",
                post(|| async {
                    let page = format!(
                        "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>{}</p></body></html>",
                        "The server is temporarily unable to service your request due to maintenance downtime. ".repeat(3)
                    );
                    (StatusCode::SERVICE_UNAVAILABLE, page)
                }),
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            addr,
            count,
            latencies_us,
            epoch,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn received(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// A local stack on a temporary database, tuned like the default binary.
pub struct Bench {
    pub stack: LocalStack,
    pub base: String,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Bench {
    /// A stack whose worker has `concurrency` deliveries in flight (`None`: the default).
    pub async fn start(concurrency: Option<usize>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // Defaults, but for the durability, which a run may choose (docs/BENCHMARKS.md).
        let durability = |k: &str| {
            std::env::var(k)
                .ok()
                .filter(|_| k == "WEBHOOKS_SQLITE_SYNC")
        };
        let mut config = Config::from_lookup(durability).unwrap();
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.db = dir.path().join("bench.db");
        config.admin_tokens = Some(vec![(ADMIN.into(), TenantId::parse("BENCH").unwrap())]);
        config.ingest_token = Some(INGEST.into());
        config.concurrency = concurrency.unwrap_or(config.concurrency);
        config.retry = RetryPolicy::new(5, Duration::from_millis(100), 1.0).unwrap();
        let stack = start(&config).await.unwrap();
        Self {
            base: format!("http://{}", stack.addr),
            stack,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .unwrap(),
            _dir: dir,
        }
    }

    pub async fn endpoint(&self, url: &str) {
        let resp = self
            .http
            .post(format!("{}/v1/endpoints", self.base))
            .bearer_auth(ADMIN)
            .json(&serde_json::json!({"url": url, "event_types": ["INVOICE_VALIDATED"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 201);
    }

    /// Publishes one event; panics unless accepted.
    pub async fn publish(&self, data: serde_json::Value) {
        let resp = self
            .http
            .post(format!("{}/v1/events", self.base))
            .bearer_auth(INGEST)
            .json(&serde_json::json!({"tenant_id": "BENCH", "event_type": "INVOICE_VALIDATED", "event_data": data}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 202);
    }
}

/// CPU seconds (user + system) used by this process so far.
pub fn cpu_seconds() -> f64 {
    stat_cpu_seconds(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
}

/// CPU seconds used so far by this process's threads named `name` (e.g. `sqlite-writer`).
pub fn thread_cpu_seconds(name: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .map(|t| {
            stat_cpu_seconds(&std::fs::read_to_string(t.path().join("stat")).unwrap_or_default())
        })
        .sum()
}

/// User plus system time of a `/proc/.../stat` line.
fn stat_cpu_seconds(stat: &str) -> f64 {
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident memory of this process, in MiB.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Starts the process's peak RSS over, so that the next `peak_rss_mib` covers what runs from
/// now on as if in a fresh process: the allocator first returns the memory it kept from
/// earlier work (an earlier scenario's stack), then Linux resets the high-water mark
/// (`clear_refs`) to the RSS left.
pub fn reset_peak_rss() {
    // SAFETY: `mi_collect` takes no pointers; it frees pages mimalloc holds empty for reuse.
    unsafe { libmimalloc_sys::mi_collect(true) };
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("the peak RSS could not be reset ({e}): it includes what ran before");
    }
}

/// The `p`-th percentile (0–100) of sorted values.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Reads `--name value` from the command line, or `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
