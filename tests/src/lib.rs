//! End-to-end test harness: a scriptable webhook receiver and helpers to run the local
//! stack in-process on `127.0.0.1:0` against a temporary database.

pub mod lambda;
mod raw_receiver;
pub mod smtp;

pub use raw_receiver::RawReceiver;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use webhooks_core::retry::RetryPolicy;
use webhooks_core::TenantId;
use webhooks_local_stack::config::Config;
use webhooks_local_stack::{start, LocalStack};

pub const ADMIN_A: &str = "admin-token-tenant-a-0123456789";
pub const ADMIN_B: &str = "admin-token-tenant-b-0123456789";
pub const INGEST: &str = "ingest-token-0123456789abcdef";

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    /// Whether the native and the Standard Webhooks signatures verify with `secret`, now.
    pub fn verify(&self, secret: &webhooks_core::signing::Secret) -> (bool, bool) {
        use webhooks_core::signing::{verify_native, verify_standard};
        let now = chrono::Utc::now().timestamp();
        let h = |k: &str| self.headers.get(k).map(String::as_str).unwrap_or_default();
        let native =
            verify_native(h("pp-svc-webhooks-signature"), &self.body, secret, now, 300).is_ok();
        let standard = verify_standard(
            h("webhook-id"),
            h("webhook-timestamp"),
            h("webhook-signature"),
            &self.body,
            secret,
            now,
            300,
        )
        .is_ok();
        (native, standard)
    }
}

#[derive(Default)]
struct ReceiverState {
    requests: Vec<Received>,
    per_message: HashMap<String, u32>,
}

/// A receiver whose behaviour is chosen by path: `/ok/{any}`, `/status/{code}`,
/// `/fail-then-ok/{n}` (per `webhook-id`), `/sleep/{ms}`, `/retry-after/{secs}` (503).
#[derive(Clone)]
pub struct TestReceiver {
    pub addr: SocketAddr,
    state: Arc<Mutex<ReceiverState>>,
}

async fn handle(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    Path((kind, arg)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let seen = {
        let mut s = state.lock().unwrap();
        s.requests.push(Received {
            path: format!("/{kind}/{arg}"),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
                .collect(),
            body,
            at: Instant::now(),
        });
        let n = s.per_message.entry(id).or_default();
        *n += 1;
        *n
    };
    let arg_n: u64 = arg.parse().unwrap_or(0);
    match kind.as_str() {
        "status" => StatusCode::from_u16(arg_n as u16)
            .unwrap_or(StatusCode::IM_A_TEAPOT)
            .into_response(),
        "fail-then-ok" if u64::from(seen) <= arg_n => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        "sleep" => {
            tokio::time::sleep(Duration::from_millis(arg_n)).await;
            StatusCode::OK.into_response()
        }
        "retry-after" => (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", arg)]).into_response(),
        _ => StatusCode::OK.into_response(),
    }
}

impl TestReceiver {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let app = Router::new()
            .route("/{kind}/{arg}", post(handle))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Received> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The `event_data.<field>` strings of the requests that reached `path`, sorted.
    pub fn data_field(&self, path: &str, field: &str) -> Vec<String> {
        let mut v: Vec<String> = (self.requests().iter())
            .filter(|r| r.path == path)
            .filter_map(|r| {
                let body: Value = serde_json::from_slice(&r.body).ok()?;
                Some(body["event_data"][field].as_str()?.to_owned())
            })
            .collect();
        v.sort();
        v
    }

    /// Waits until at least `n` requests arrived (bounded wait, not a performance check).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        wait_until(|| async { self.requests().len() >= n }).await;
        self.requests()
    }
}

/// Polls `cond` every 20 ms; panics after 20 s so a broken test fails instead of hanging.
pub async fn wait_until<F, Fut>(mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond().await {
        assert!(
            Instant::now() < deadline,
            "condition not reached within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A valid `event_data` of `event_type`: its catalog example, with `fields` over it, so
/// that a test names only the fields it cares about and still meets the type's schema.
pub fn event_data(event_type: &str, fields: Value) -> Value {
    // Parsing the catalog compiles every schema: once per test binary, not per event.
    static CATALOG: std::sync::LazyLock<webhooks_core::catalog::Catalog> =
        std::sync::LazyLock::new(webhooks_core::catalog::Catalog::built_in);
    let mut data = CATALOG
        .get(event_type)
        .map_or_else(|| json!({}), |t| t.example.clone());
    if let (Some(d), Value::Object(f)) = (data.as_object_mut(), fields) {
        d.extend(f);
    }
    data
}

/// A test configuration: port 0, a database in `dir`, fixed tokens, fast retries.
pub fn test_config(dir: &std::path::Path) -> Config {
    let defaults = Config::from_lookup(|_| None).expect("the defaults need no variable");
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        db: dir.join("webhooks.db"),
        admin_tokens: Some(vec![
            (ADMIN_A.into(), TenantId::parse("ENS_A").unwrap()),
            (ADMIN_B.into(), TenantId::parse("ENS_B").unwrap()),
        ]),
        ingest_token: Some(INGEST.into()),
        retry: RetryPolicy::new(5, Duration::from_millis(50), 1.0).unwrap(),
        http_timeout: Duration::from_secs(2),
        concurrency: 16,
        ..defaults
    }
}

/// A running local stack plus an HTTP client for its API.
pub struct Stack {
    pub stack: LocalStack,
    pub http: reqwest::Client,
    pub base: String,
    pub db_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Stack {
    /// Starts a stack on a fresh temporary database with `tweak` applied to the config.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Self::start_in(tmp.path().to_owned(), tweak).await;
        s._tmp = Some(tmp);
        s
    }

    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a stack on the database in `dir` (which the caller keeps alive).
    pub async fn start_in(dir: PathBuf, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = test_config(&dir);
        tweak(&mut config);
        let stack = start(&config).await.expect("stack starts");
        Self {
            base: format!("http://{}", stack.addr),
            stack,
            http: reqwest::Client::new(),
            db_dir: dir,
            _tmp: None,
        }
    }

    /// Sends a request with a bearer token; returns status and JSON body (Null if empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates an endpoint for tenant A's admin; returns (id, secret).
    pub async fn create_endpoint(
        &self,
        token: &str,
        url: &str,
        types: &[&str],
    ) -> (String, String) {
        let (status, body) = self
            .call(
                "POST",
                "/v1/endpoints",
                token,
                Some(json!({"url": url, "event_types": types})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["id"].as_str().unwrap().to_owned(),
            body["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// Publishes an event through the ingest route; returns the receipt. `data` holds the
    /// fields the test cares about, over the type's catalog example (see [`event_data`]).
    pub async fn publish(&self, tenant: &str, event_type: &str, data: Value) -> Value {
        let data = event_data(event_type, data);
        let (status, body) = self
            .call(
                "POST",
                "/v1/events",
                INGEST,
                Some(json!({"tenant_id": tenant, "event_type": event_type, "event_data": data})),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        body
    }

    /// The delivery-log entry of `msg` on endpoint `ep`, as tenant A sees it.
    pub async fn log_entry(&self, token: &str, ep: &str, msg: &str) -> Option<Value> {
        let (_, page) = self
            .call(
                "GET",
                &format!("/v1/endpoints/{ep}/messages?limit=100"),
                token,
                None,
            )
            .await;
        page["data"]
            .as_array()?
            .iter()
            .find(|e| e["message_id"] == msg)
            .cloned()
    }

    /// Waits until the entry of `msg` on `ep` reaches `status`, then returns it.
    pub async fn wait_status(&self, token: &str, ep: &str, msg: &str, status: &str) -> Value {
        wait_until(|| async {
            self.log_entry(token, ep, msg)
                .await
                .is_some_and(|e| e["status"] == status)
        })
        .await;
        self.log_entry(token, ep, msg).await.unwrap()
    }

    pub async fn attempts(&self, token: &str, ep: &str, msg: &str) -> Vec<Value> {
        let (status, body) = self
            .call(
                "GET",
                &format!("/v1/endpoints/{ep}/messages/{msg}/attempts"),
                token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"].as_array().unwrap().clone()
    }

    pub async fn counters(&self, token: &str, ep: &str) -> Value {
        let (status, body) = self
            .call("GET", &format!("/v1/endpoints/{ep}"), token, None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["counters"].clone()
    }

    /// Rotates the endpoint's secret as `token`; returns the new secret, asserting success.
    pub async fn rotate(&self, token: &str, ep: &str) -> String {
        let (status, body) = self
            .call(
                "POST",
                &format!("/v1/endpoints/{ep}/rotate-secret"),
                token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["secret"].as_str().unwrap().to_owned()
    }

    /// Publishes and returns the new message id.
    pub async fn publish_id(&self, tenant: &str, event_type: &str, data: Value) -> String {
        self.publish(tenant, event_type, data).await["message_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Sets fields of an endpoint as tenant A's admin, asserting success.
    pub async fn patch(&self, token: &str, ep: &str, body: Value) -> Value {
        let (status, e) = self
            .call("PATCH", &format!("/v1/endpoints/{ep}"), token, Some(body))
            .await;
        assert_eq!(status, 200, "{e}");
        e
    }

    pub async fn stop(self) {
        self.stack.stop().await;
    }
}
