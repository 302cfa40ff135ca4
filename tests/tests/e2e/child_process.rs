//! The local binary as a child process: killed with SIGKILL three times while 1,000 events
//! flow to a partly failing receiver, it loses nothing; and over a full run, no secret
//! appears in its logs or in any API response but the two that must show it.

use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use webhooks_tests::lambda::built_binary;
use webhooks_tests::{wait_until, TestReceiver, ADMIN_A, INGEST};

struct Service {
    child: tokio::process::Child,
    base: String,
    http: reqwest::Client,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Service {
    /// Starts the binary on `port` over the database in `dir`; its output goes to `logs`.
    async fn start(dir: &std::path::Path, port: u16, logs: Arc<Mutex<String>>) -> Self {
        let mut child = tokio::process::Command::new(built_binary("pp-svc-webhooks"))
            .env("WEBHOOKS_LISTEN", format!("127.0.0.1:{port}"))
            .env("WEBHOOKS_DB", dir.join("webhooks.db"))
            .env("WEBHOOKS_ADMIN_TOKENS", format!("{ADMIN_A}=ENS_A"))
            .env("WEBHOOKS_INGEST_TOKEN", INGEST)
            .env("WEBHOOKS_RETRY_BASE_SECONDS", "0.2")
            .env("WEBHOOKS_RETRY_FACTOR", "1")
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        for mut pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let logs = logs.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    logs.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let s = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        wait_until(|| async {
            s.http
                .get(format!("{}/health", s.base))
                .send()
                .await
                .is_ok()
        })
        .await;
        s
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::Result<(u16, String)> {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        Ok((resp.status().as_u16(), resp.text().await?))
    }

    async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }
}

/// All log entries of an endpoint, by message id.
async fn log(base: &str, ep: &str) -> HashMap<String, Value> {
    let http = reqwest::Client::new();
    let mut out = HashMap::new();
    let mut cursor = String::new();
    loop {
        let Ok(resp) = http
            .get(format!(
                "{base}/v1/endpoints/{ep}/messages?limit=100{cursor}"
            ))
            .bearer_auth(ADMIN_A)
            .send()
            .await
        else {
            return HashMap::new();
        };
        let page: Value = resp.json().await.unwrap_or(Value::Null);
        for e in page["data"].as_array().cloned().unwrap_or_default() {
            out.insert(e["message_id"].as_str().unwrap_or_default().to_owned(), e);
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_sigkills_lose_no_event() {
    const EVENTS: usize = 1000;
    let rx = TestReceiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let logs = Arc::new(Mutex::new(String::new()));
    let first = Service::start(dir.path(), port, logs.clone()).await;
    let (status, body) = first
        .call(
            "POST",
            "/v1/endpoints",
            ADMIN_A,
            Some(json!({"url": rx.url("/fail-then-ok/1"), "event_types": ["INVOICE_VALIDATED"]})),
        )
        .await
        .unwrap();
    assert_eq!(status, 201, "{body}");
    let ep = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = first.base.clone();
    let service = Arc::new(tokio::sync::Mutex::new(Some(first)));

    // The publisher retries each event (same event_id) until it is accepted.
    let publisher = tokio::spawn({
        let base = base.clone();
        async move {
            let http = reqwest::Client::new();
            let mut accepted = HashSet::new();
            for i in 0..EVENTS {
                let event = json!({"tenant_id": "ENS_A", "event_type": "INVOICE_VALIDATED", "event_id": format!("evt-{i}"), "event_data": {"invoice_id": format!("FA-{i}"), "n": i}});
                loop {
                    let sent = http
                        .post(format!("{base}/v1/events"))
                        .bearer_auth(INGEST)
                        .json(&event)
                        .send()
                        .await;
                    if let Ok(r) = sent {
                        if r.status().as_u16() == 202 {
                            let receipt: Value = r.json().await.unwrap();
                            accepted.insert(receipt["message_id"].as_str().unwrap().to_owned());
                            break;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            accepted
        }
    });
    // Three SIGKILLs at pseudo-random moments, each followed by a restart on the same database.
    let mut seed = u64::from(std::process::id()) | 1;
    for _ in 0..3 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(Duration::from_millis(150 + seed % 600)).await;
        let running = service.lock().await.take().unwrap();
        running.kill().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        *service.lock().await = Some(Service::start(dir.path(), port, logs.clone()).await);
    }
    let accepted = publisher.await.unwrap();
    assert_eq!(
        accepted.len(),
        EVENTS,
        "every event was eventually accepted exactly once"
    );

    // Every accepted event ends delivered (or failed, visible) — none stays pending or vanishes.
    wait_until(|| async {
        let log = log(&base, &ep).await;
        log.len() == EVENTS && log.values().all(|e| e["status"] != "pending")
    })
    .await;
    let log = log(&base, &ep).await;
    let ids: HashSet<String> = log.keys().cloned().collect();
    assert_eq!(ids, accepted, "the log holds exactly the accepted messages");
    let delivered: HashSet<&String> = log
        .iter()
        .filter(|(_, e)| e["status"] == "delivered")
        .map(|(id, _)| id)
        .collect();

    // The receiver saw every delivered message; count at-least-once duplicates.
    let mut successes: HashMap<String, u32> = HashMap::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    for r in rx.requests() {
        *seen.entry(r.headers["webhook-id"].clone()).or_default() += 1;
    }
    for (id, n) in &seen {
        // fail-then-ok/1: the first request of each message fails, the later ones succeed.
        if *n >= 2 {
            successes.insert(id.clone(), n - 1);
        }
    }
    for id in &delivered {
        assert!(
            successes.contains_key(*id),
            "{id} is logged delivered but never got a 2xx"
        );
    }
    let duplicates: u32 = successes.values().map(|n| n - 1).sum();
    println!(
        "crash safety: {EVENTS} accepted, {} delivered, {} failed, {duplicates} duplicate deliveries (at least once)",
        delivered.len(),
        EVENTS - delivered.len()
    );
    service.lock().await.take().unwrap().kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_appear_only_in_the_creation_and_rotation_responses() {
    let rx = TestReceiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let logs = Arc::new(Mutex::new(String::new()));
    let s = Service::start(dir.path(), free_port(), logs.clone()).await;
    let mut other_responses = Vec::new();

    let (_, created) = s
        .call(
            "POST",
            "/v1/endpoints",
            ADMIN_A,
            Some(json!({"url": rx.url("/fail-then-ok/1"), "event_types": ["INVOICE_VALIDATED"]})),
        )
        .await
        .unwrap();
    let created: Value = serde_json::from_str(&created).unwrap();
    let ep = created["id"].as_str().unwrap().to_owned();
    let (_, rotated) = s
        .call(
            "POST",
            &format!("/v1/endpoints/{ep}/rotate-secret"),
            ADMIN_A,
            None,
        )
        .await
        .unwrap();
    let rotated: Value = serde_json::from_str(&rotated).unwrap();
    let secrets = [
        created["secret"].as_str().unwrap().to_owned(),
        rotated["secret"].as_str().unwrap().to_owned(),
    ];

    for i in 0..3 {
        let ev = json!({"tenant_id": "ENS_A", "event_type": "INVOICE_VALIDATED", "event_data": {"invoice_id": format!("FA-{i}"), "n": i}});
        other_responses.push(
            s.call("POST", "/v1/events", INGEST, Some(ev))
                .await
                .unwrap()
                .1,
        );
    }
    other_responses.push(
        s.call("POST", &format!("/v1/endpoints/{ep}/test"), ADMIN_A, None)
            .await
            .unwrap()
            .1,
    );
    wait_until(|| async { rx.requests().len() >= 8 }).await;
    let msg = serde_json::from_str::<Value>(&other_responses[0]).unwrap()["message_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        "/v1/endpoints".to_owned(),
        format!("/v1/endpoints/{ep}"),
        format!("/v1/endpoints/{ep}/messages"),
        format!("/v1/endpoints/{ep}/messages/{msg}/attempts"),
        format!("/v1/endpoints/{ep}/stats"),
        format!("/v1/messages/{msg}"),
        "/v1/event-types".to_owned(),
        "/openapi.json".to_owned(),
        "/dev/receiver".to_owned(),
    ] {
        other_responses.push(s.call("GET", &path, ADMIN_A, None).await.unwrap().1);
    }
    other_responses.push(
        s.call(
            "PATCH",
            &format!("/v1/endpoints/{ep}"),
            ADMIN_A,
            Some(json!({"description": "x"})),
        )
        .await
        .unwrap()
        .1,
    );
    s.kill().await;

    let logs = logs.lock().unwrap().clone();
    assert!(logs.contains("delivery attempt"), "logs were captured");
    let received: Vec<String> = rx
        .requests()
        .iter()
        .map(|r| format!("{:?}{}", r.headers, String::from_utf8_lossy(&r.body)))
        .collect();
    for secret in &secrets {
        let key = &secret["whsec_".len()..];
        for (what, text) in [("logs", &logs)]
            .into_iter()
            .chain(other_responses.iter().map(|r| ("an API response", r)))
            .chain(received.iter().map(|r| ("a delivered request", r)))
        {
            assert!(!text.contains(key), "a secret leaked into {what}");
        }
    }
}
