//! Running the built Lambda binaries locally: a Lambda Runtime API emulator (one per
//! function process) and store fixtures; the functions' environment from template.yaml is
//! in `template`, and what invokes them (API Gateway events, the SQS event-source mapping
//! that deletes what a batch did not report as failed, the stream's) in `sources`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};

mod sources;
mod template;

pub use sources::{apigw_event, event_source_mapping, http_response, stream_event_source_mapping};
pub use template::{function_env, template_env};

type Reply = oneshot::Sender<Result<Value, Value>>;

struct Runtime {
    /// The function's timeout: each invocation's deadline is this far from its start.
    timeout: Duration,
    queued: Mutex<VecDeque<(String, Value, Reply)>>,
    running: Mutex<HashMap<String, Reply>>,
    init_error: Mutex<Option<String>>,
    /// When the function first asked for an invocation: the end of its cold start.
    first_poll: std::sync::OnceLock<Instant>,
    wake: Notify,
}

async fn next(State(rt): State<Arc<Runtime>>) -> Response {
    rt.first_poll.get_or_init(Instant::now);
    loop {
        let item = rt.queued.lock().unwrap().pop_front();
        if let Some((id, event, reply)) = item {
            rt.running.lock().unwrap().insert(id.clone(), reply);
            let timeout = i64::try_from(rt.timeout.as_millis()).unwrap_or(i64::MAX);
            let deadline = chrono::Utc::now().timestamp_millis() + timeout;
            let mut headers = HeaderMap::new();
            headers.insert(
                "lambda-runtime-aws-request-id",
                HeaderValue::from_str(&id).unwrap(),
            );
            headers.insert("lambda-runtime-deadline-ms", HeaderValue::from(deadline));
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                HeaderValue::from_static("arn:aws:lambda:eu-west-3:123456789012:function:test"),
            );
            headers.insert(
                "lambda-runtime-trace-id",
                HeaderValue::from_static("Root=1-00000000-000000000000000000000000"),
            );
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            return (StatusCode::OK, headers, event.to_string()).into_response();
        }
        rt.wake.notified().await;
    }
}

async fn finish(rt: &Runtime, id: &str, result: Result<Value, Value>) -> StatusCode {
    match rt.running.lock().unwrap().remove(id) {
        Some(reply) => {
            let _ = reply.send(result);
            StatusCode::ACCEPTED
        }
        None => StatusCode::NOT_FOUND,
    }
}

async fn response(
    State(rt): State<Arc<Runtime>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    finish(&rt, &id, Ok(value)).await
}

async fn error(State(rt): State<Arc<Runtime>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    finish(
        &rt,
        &id,
        Err(serde_json::from_slice(&body).unwrap_or(Value::Null)),
    )
    .await
}

async fn init_error(State(rt): State<Arc<Runtime>>, body: Bytes) -> StatusCode {
    *rt.init_error.lock().unwrap() = Some(String::from_utf8_lossy(&body).into());
    StatusCode::ACCEPTED
}

/// The template's logical id of the Lambda function built as `binary`, if it is one.
fn logical_id(binary: &str) -> Option<&'static str> {
    Some(match binary {
        "webhooks-api" => "ApiFunction",
        "webhooks-ingest" => "IngestFunction",
        "webhooks-delivery" => "DeliveryFunction",
        "webhooks-counters" => "CountersFunction",
        "webhooks-sweep" => "SweepFunction",
        _ => return None,
    })
}

/// One function: its Runtime API emulator and the process of its built binary. Like
/// Lambda, it kills the process of an invocation that runs past the function's timeout and
/// starts a fresh one for the next invocation.
pub struct Function {
    pub name: String,
    rt: Arc<Runtime>,
    child: tokio::sync::Mutex<tokio::process::Child>,
    /// How to start the process again after a kill.
    command: (std::path::PathBuf, Vec<(String, String)>, SocketAddr),
    spawned: Instant,
    /// Bytes the function wrote to stdout, which Lambda sends to CloudWatch Logs.
    log_bytes: Arc<std::sync::atomic::AtomicU64>,
    /// Invocations killed at their deadline.
    kills: std::sync::atomic::AtomicU32,
}

/// Path of a binary: for a Lambda function, the `bootstrap` that `sam build` produced when
/// `WEBHOOKS_TEST_LAMBDA_DIR` names its output (`.aws-sam/build`, as the test command sets);
/// otherwise the binary of this workspace's build (`cargo build --workspace`).
pub fn built_binary(name: &str) -> std::path::PathBuf {
    let sam = std::env::var_os("WEBHOOKS_TEST_LAMBDA_DIR").zip(logical_id(name));
    let bin = match sam {
        Some((dir, id)) => std::path::PathBuf::from(dir).join(id).join("bootstrap"),
        None => {
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join(name)
        }
    };
    assert!(
        bin.exists(),
        "{} is not built: run infra/sam-build.sh (with WEBHOOKS_TEST_LAMBDA_DIR) or `cargo build --workspace`",
        bin.display()
    );
    bin
}

impl Function {
    /// Starts the runtime emulator and the function binary `binary` of this build with `env`,
    /// with a 60 s timeout.
    pub async fn start(binary: &str, env: &[(String, String)]) -> Self {
        Self::start_path(&built_binary(binary), binary, env, Duration::from_secs(60)).await
    }

    /// The same with the function's timeout set to `timeout`.
    pub async fn start_with_timeout(
        binary: &str,
        env: &[(String, String)],
        timeout: Duration,
    ) -> Self {
        Self::start_path(&built_binary(binary), binary, env, timeout).await
    }

    /// Starts the runtime emulator and the function binary at `path`, named `binary`.
    pub async fn start_path(
        path: &std::path::Path,
        binary: &str,
        env: &[(String, String)],
        timeout: Duration,
    ) -> Self {
        let rt = Arc::new(Runtime {
            timeout,
            queued: Default::default(),
            running: Default::default(),
            init_error: Default::default(),
            first_poll: Default::default(),
            wake: Default::default(),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(rt.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let log_bytes = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let spawned = Instant::now();
        let child = spawn(path, binary, env, addr, &log_bytes);
        Self {
            name: binary.to_owned(),
            rt,
            child: tokio::sync::Mutex::new(child),
            command: (path.to_owned(), env.to_vec(), addr),
            spawned,
            log_bytes,
            kills: Default::default(),
        }
    }

    /// Time from spawning the process to its first `/runtime/invocation/next` poll (waits
    /// up to 10 s for it).
    pub async fn cold_start(&self) -> Duration {
        for _ in 0..10_000 {
            if let Some(at) = self.rt.first_poll.get() {
                return *at - self.spawned;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!(
            "{} never polled for an invocation (init error: {:?})",
            self.name,
            self.init_error()
        )
    }

    /// The process's peak resident memory so far (`VmHWM`), in KiB; Linux only.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.try_lock().ok()?.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Invokes the function with `event`; `Err` carries the function's error report, or
    /// `{"errorType": "Sandbox.Timedout"}` when it ran past its timeout and was killed.
    pub async fn invoke(&self, event: Value) -> Result<Value, Value> {
        let (tx, rx) = oneshot::channel();
        let id = webhooks_core::MessageId::generate().to_string();
        self.rt
            .queued
            .lock()
            .unwrap()
            .push_back((id.clone(), event, tx));
        self.rt.wake.notify_waiters();
        // The deadline runs from when the process takes the invocation; waiting for a busy
        // or starting process counts too here, which only makes the harness stricter.
        match tokio::time::timeout(self.rt.timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => panic!("{}: invocation dropped", self.name),
            Err(_) if self.rt.timeout >= Duration::from_secs(60) => panic!(
                "{} did not answer within {:?} (init error: {:?})",
                self.name,
                self.rt.timeout,
                self.rt.init_error.lock().unwrap()
            ),
            Err(_) => {
                self.rt.running.lock().unwrap().remove(&id);
                self.rt.queued.lock().unwrap().retain(|(q, _, _)| *q != id);
                let mut child = self.child.lock().await;
                let _ = child.kill().await;
                let (path, env, addr) = &self.command;
                *child = spawn(path, &self.name, env, *addr, &self.log_bytes);
                self.kills.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Err(json!({"errorType": "Sandbox.Timedout"}))
            }
        }
    }

    /// Invocations killed for running past the timeout so far.
    pub fn kills(&self) -> u32 {
        self.kills.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Bytes of log lines written so far.
    pub fn log_bytes(&self) -> u64 {
        self.log_bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn init_error(&self) -> Option<String> {
        self.rt.init_error.lock().unwrap().clone()
    }

    pub async fn stop(self) {
        let _ = self.child.lock().await.kill().await;
    }
}

/// Starts the function process, counting the bytes it logs.
fn spawn(
    path: &std::path::Path,
    binary: &str,
    env: &[(String, String)],
    runtime_api: SocketAddr,
    log_bytes: &Arc<std::sync::atomic::AtomicU64>,
) -> tokio::process::Child {
    let mut cmd = tokio::process::Command::new(path);
    cmd.env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", binary)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{binary}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("function binary starts");
    if let Some(mut out) = child.stdout.take() {
        let counted = log_bytes.clone();
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut buf = vec![0u8; 16 * 1024];
            while let Ok(n) = out.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                counted.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            }
        });
    }
    child
}

/// An endpoint of `tenant` to `url`, subscribed to INVOICE_VALIDATED, with its first secret
/// issued, created directly in the stores (as the api function would).
pub async fn stored_endpoint(
    stores: &webhooks_core::services::Stores,
    tenant: &webhooks_core::TenantId,
    url: String,
) -> webhooks_core::model::Endpoint {
    let ep = webhooks_core::model::Endpoint::new(
        tenant.clone(),
        url,
        String::new(),
        vec!["INVOICE_VALIDATED".into()],
        true,
    );
    stores.endpoints.create(&ep).await.unwrap();
    stores.secrets.issue(tenant, &ep.id, 1).await.unwrap();
    ep
}

/// A stored INVOICE_VALIDATED message of `tenant`, fanned out to no endpoint yet.
pub async fn stored_message(
    stores: &webhooks_core::services::Stores,
    tenant: &webhooks_core::TenantId,
) -> webhooks_core::model::Message {
    let m = webhooks_core::model::Message {
        id: webhooks_core::MessageId::generate(),
        tenant: tenant.clone(),
        event_type: "INVOICE_VALIDATED".into(),
        event_id: None,
        body: bytes::Bytes::from_static(br#"{"event_data":{}}"#),
        created_at: webhooks_core::model::now(),
        endpoints: Vec::new(),
    };
    stores.messages.insert(&m).await.unwrap();
    m
}
