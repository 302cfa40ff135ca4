//! Running the built Lambda binaries locally: a Lambda Runtime API emulator (one per
//! function process) and an SQS event-source-mapping emulator that polls a queue, invokes
//! the function with the batch and deletes what it did not report as failed.

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

/// The environment template.yaml gives the functions (its `Globals` and every function's
/// own variables, with parameters at their defaults), pointed at the moto resources `names`,
/// `ingest_dlq` and `ingest_queue` (empty: no operational events are published); then what
/// only a test needs: the emulator's endpoint, and plain-http loopback receivers allowed.
/// Read from the template itself, so the functions run here with what a deployment gives
/// them.
pub fn function_env(
    names: &webhooks_aws::AwsNames,
    ingest_dlq: &str,
    ingest_queue: &str,
) -> Vec<(String, String)> {
    let mut env = template_env(names, ingest_dlq, ingest_queue);
    env.extend(
        [
            (
                "WEBHOOKS_AWS_ENDPOINT_URL",
                webhooks_aws::testing::moto_endpoint(),
            ),
            ("WEBHOOKS_REQUIRE_HTTPS", "false".into()),
            ("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true".into()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    env
}

/// The variables template.yaml sets, resolved: `!Ref` of a parameter gives its default,
/// `!Ref` of the table and queues the test's resources, `!If` its branch for the
/// parameters' defaults, `!Sub` the pseudo parameters and the API's id (`api-test`).
pub fn template_env(
    names: &webhooks_aws::AwsNames,
    ingest_dlq: &str,
    ingest_queue: &str,
) -> Vec<(String, String)> {
    use serde_yaml::Value as Y;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let doc: Y = serde_yaml::from_str(&std::fs::read_to_string(path).expect("template.yaml"))
        .expect("template.yaml parses");
    let default = |p: &str| match &doc["Parameters"][p]["Default"] {
        Y::String(s) => s.clone(),
        Y::Number(n) => n.to_string(),
        other => panic!("parameter {p} has no usable default: {other:?}"),
    };
    // Only the conditions the template uses on variables: a parameter left empty or not.
    let condition = |name: &str| -> bool {
        let Y::Tagged(not) = &doc["Conditions"][name] else {
            panic!("condition {name} not understood")
        };
        let Y::Tagged(equals) = &not.value[0] else {
            panic!("condition {name} not understood")
        };
        let Y::Tagged(r) = &equals.value[0] else {
            panic!("condition {name} not understood")
        };
        assert!(
            not.tag == "!Not"
                && equals.tag == "!Equals"
                && equals.value[1] == Y::String(String::new())
        );
        !default(r.value.as_str().expect("!Ref names a string")).is_empty()
    };
    fn resolve(v: &Y, r: &dyn Fn(&str) -> String, c: &dyn Fn(&str) -> bool) -> Option<String> {
        Some(match v {
            Y::String(s) => s.clone(),
            Y::Number(n) => n.to_string(),
            Y::Bool(b) => b.to_string(),
            Y::Tagged(t) if t.tag == "!Ref" && t.value.as_str() == Some("AWS::NoValue") => {
                return None
            }
            Y::Tagged(t) if t.tag == "!Ref" => r(t.value.as_str().expect("!Ref names a string")),
            Y::Tagged(t) if t.tag == "!If" => {
                let branch = if c(t.value[0].as_str().expect("condition name")) {
                    1
                } else {
                    2
                };
                return resolve(&t.value[branch], r, c);
            }
            Y::Tagged(t) if t.tag == "!Sub" => (t.value.as_str().expect("!Sub of a string"))
                .replace("${HttpApi}", "api-test")
                .replace("${AWS::Region}", "eu-west-3")
                .replace("${AWS::URLSuffix}", "amazonaws.com"),
            other => panic!("template variable value not understood: {other:?}"),
        })
    }
    let reference = |name: &str| match name {
        "Table" => names.table.clone(),
        "DeliveryQueue" => names.delivery_queue_url.clone(),
        "IngestDeadLetterQueue" => ingest_dlq.to_owned(),
        "IngestQueue" => ingest_queue.to_owned(),
        "RetentionDays" => names.retention_days.to_string(),
        p => default(p),
    };
    let mut env = Vec::new();
    let mut add = |vars: &Y| {
        for (k, v) in vars.as_mapping().into_iter().flatten() {
            let k = k.as_str().expect("variable name");
            // Each test has its own prefix, as each stack has its own (the template's
            // default is the stack name).
            let v = match k {
                "WEBHOOKS_SECRET_PREFIX" => Some(names.secret_prefix.clone()),
                _ => resolve(v, &reference, &condition),
            };
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                env.push((k.to_owned(), v));
            }
        }
    };
    add(&doc["Globals"]["Function"]["Environment"]["Variables"]);
    for (_, r) in doc["Resources"].as_mapping().expect("Resources") {
        if r["Type"] == Y::String("AWS::Serverless::Function".into()) {
            add(&r["Properties"]["Environment"]["Variables"]);
        }
    }
    assert!(
        env.iter().any(|(k, _)| k == "WEBHOOKS_TABLE"),
        "template env not found"
    );
    env
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

/// An API Gateway HTTP API (payload v2) event with JWT authorizer claims.
pub fn apigw_event(method: &str, path: &str, claims: Value, body: Option<Value>) -> Value {
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    json!({
        "version": "2.0",
        "routeKey": "ANY /v1/{proxy+}",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {"content-type": "application/json", "host": "api.test"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "test", "domainName": "api.test", "domainPrefix": "api",
            "requestId": webhooks_core::MessageId::generate().to_string(), "routeKey": "ANY /v1/{proxy+}",
            "stage": "$default", "time": "28/Nov/2026:10:00:00 +0000", "timeEpoch": 1795860000000i64,
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "test"},
            "authorizer": {"jwt": {"claims": claims, "scopes": null}}
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false
    })
}

/// Status and JSON body of an API Gateway v2 proxy response.
pub fn http_response(resp: &Value) -> (u16, Value) {
    let status = resp["statusCode"].as_u64().unwrap_or(0) as u16;
    let body = resp["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

/// Emulates an SQS event source mapping with `ReportBatchItemFailures`: polls `queue_url`
/// every 100 ms, invokes `function` with up to ten records, and deletes the records it
/// did not report as failed. Runs until the returned handle is aborted.
pub fn event_source_mapping(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    function: Arc<Function>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let arn = format!(
            "arn:aws:sqs:eu-west-3:123456789012:{}",
            queue_url.rsplit('/').next().unwrap_or("q")
        );
        loop {
            let got = sqs
                .receive_message()
                .queue_url(&queue_url)
                .max_number_of_messages(10)
                .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
                .send()
                .await;
            let messages = got.ok().and_then(|o| o.messages).unwrap_or_default();
            if messages.is_empty() {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let records: Vec<Value> = messages
                .iter()
                .map(|m| {
                    let attrs: HashMap<String, String> = m
                        .attributes()
                        .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect())
                        .unwrap_or_default();
                    json!({
                        "messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                        "attributes": attrs, "messageAttributes": {}, "md5OfBody": m.md5_of_body(),
                        "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "eu-west-3"
                    })
                })
                .collect();
            let failed: Vec<String> = match function.invoke(json!({"Records": records})).await {
                Ok(resp) => resp["batchItemFailures"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                // A failed invocation leaves the whole batch for another receive.
                Err(_) => messages
                    .iter()
                    .filter_map(|m| m.message_id().map(str::to_owned))
                    .collect(),
            };
            for m in &messages {
                if !failed.iter().any(|f| Some(f.as_str()) == m.message_id()) {
                    let _ = sqs
                        .delete_message()
                        .queue_url(&queue_url)
                        .receipt_handle(m.receipt_handle().unwrap_or_default())
                        .send()
                        .await;
                }
            }
        }
    })
}

/// Emulates the DynamoDB-stream event source mapping of the counters function: every
/// `window` (its batching window), the records written since are handed to `function`;
/// a failed invocation is retried with the same batch, as Lambda retries a stream batch.
pub fn stream_event_source_mapping(
    reader: webhooks_aws::testing::StreamReader,
    function: Arc<Function>,
    window: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(window).await;
            let Some(event) = reader.next_event().await else {
                continue;
            };
            while function.invoke(event.clone()).await.is_err() {
                tokio::time::sleep(window).await;
            }
        }
    })
}
