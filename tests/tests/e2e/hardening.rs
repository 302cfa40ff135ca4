//! Hostile input and hostile targets on the local stack: the SSRF guard at creation and
//! at send time, a thousand malformed requests without a single 5xx, and receivers that
//! misbehave in every way while other endpoints keep being served.

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use webhooks_core::retry::RetryPolicy;
use webhooks_tests::{Stack, TestReceiver, ADMIN_A, INGEST};

mod hostile;

use hostile::Gen;

/// Literal non-public targets, including odd IPv4 spellings and IPv6 forms.
const HOSTILE: &[&str] = &[
    "http://127.0.0.1/",
    "http://127.1/",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://2130706433/",
    "http://017700000001/",
    "http://0/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://192.0.2.10/",
    "http://198.18.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:a9fe:a9fe]/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[fc00::1]/",
    "http://[ff02::1]/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://api.localhost/",
];

#[tokio::test]
async fn non_public_targets_are_refused_at_creation() {
    let s = Stack::start_with(|c| c.allow_private_targets = false).await;
    assert!(HOSTILE.len() >= 25);
    for url in HOSTILE {
        let (status, p) = s
            .call(
                "POST",
                "/v1/endpoints",
                ADMIN_A,
                Some(json!({"url": url, "event_types": ["INVOICE_VALIDATED"]})),
            )
            .await;
        assert_eq!(status, 400, "{url} accepted: {p}");
        assert_eq!(p["errors"][0]["field"], "url");
        assert!(
            p["detail"].as_str().unwrap().contains("non-public"),
            "{url}: {p}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn non_public_targets_are_blocked_at_send_time_with_the_reason_logged() {
    // Endpoints saved while private targets were allowed, delivered once they are not.
    let dir = tempfile::tempdir().unwrap();
    let open = Stack::start_in(dir.path().to_owned(), |_| {}).await;
    let mut ids = Vec::new();
    for url in HOSTILE {
        ids.push(
            open.create_endpoint(ADMIN_A, url, &["INVOICE_VALIDATED"])
                .await
                .0,
        );
    }
    open.stop().await;
    let guarded = Stack::start_in(dir.path().to_owned(), |c| {
        c.allow_private_targets = false;
        c.retry = RetryPolicy::new(1, Duration::from_millis(10), 1.0).unwrap();
    })
    .await;
    let msg = guarded
        .publish_id("ENS_A", "INVOICE_VALIDATED", json!({}))
        .await;
    for (ep, url) in ids.iter().zip(HOSTILE) {
        guarded.wait_status(ADMIN_A, ep, &msg, "failed").await;
        let attempts = guarded.attempts(ADMIN_A, ep, &msg).await;
        assert_eq!(attempts[0]["error"], "blocked", "{url}");
        let why = attempts[0]["response_excerpt"].as_str().unwrap_or_default();
        assert!(why.starts_with("target blocked: "), "{url}: {why}");
    }
    guarded.stop().await;
}

#[tokio::test]
async fn a_thousand_malformed_requests_get_4xx_problems_and_never_a_5xx() {
    let rx = TestReceiver::start().await;
    let s = Stack::start().await;
    let (ep, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/ok/0"), &["INVOICE_VALIDATED"])
        .await;
    let msg = s.publish_id("ENS_A", "INVOICE_VALIDATED", json!({})).await;
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let targets = [
        ("POST", "/v1/endpoints".to_owned(), ADMIN_A),
        ("PATCH", format!("/v1/endpoints/{ep}"), ADMIN_A),
        ("POST", "/v1/events".to_owned(), INGEST),
        ("POST", format!("/v1/endpoints/{ep}/recover"), ADMIN_A),
        (
            "POST",
            format!("/v1/endpoints/{ep}/messages/{msg}/replay"),
            ADMIN_A,
        ),
    ];
    let queries = [
        "limit=-1",
        "limit=99999999999999999999",
        "status=%00",
        "cursor=%FF%FE",
        "cursor=djE6bXNnX3g",
        "hours=0",
        "limit=1&limit=2",
        "status[]=x",
        "%zz",
    ];
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..1000 {
        let (status, body) = if i % 4 == 3 {
            let q = g.pick(&queries);
            let path = if i % 8 == 3 {
                format!("/v1/endpoints/{ep}/messages?{q}")
            } else {
                format!("/v1/endpoints/{ep}/stats?{q}")
            };
            let r = s
                .http
                .get(format!("{}{path}", s.base))
                .bearer_auth(ADMIN_A)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        } else {
            let (method, path, token) = g.pick(&targets).clone();
            let r = s
                .http
                .request(method.parse().unwrap(), format!("{}{path}", s.base))
                .bearer_auth(token)
                .header(
                    "content-type",
                    *g.pick(&[
                        "application/json",
                        "text/plain",
                        "application/x-www-form-urlencoded",
                    ]),
                )
                .body(g.body())
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        };
        assert!(status < 500, "request {i} got {status}: {body}");
        if status >= 400 {
            let p: Value = serde_json::from_str(&body)
                .unwrap_or_else(|_| panic!("request {i}: not a problem body: {body}"));
            assert_eq!(p["status"], status, "{body}");
        }
        *statuses.entry(status).or_insert(0) += 1;
    }
    assert!(statuses.keys().any(|s| *s >= 400), "{statuses:?}");
    // Still healthy and consistent afterwards.
    assert_eq!(
        s.call("GET", &format!("/v1/endpoints/{ep}"), ADMIN_A, None)
            .await
            .0,
        200
    );
    assert_eq!(
        s.publish("ENS_A", "INVOICE_VALIDATED", json!({"after": true}))
            .await["endpoints"],
        1
    );
    s.stop().await;
}

#[tokio::test]
async fn bad_headers_and_tokens_are_refused_cleanly() {
    let s = Stack::start().await;
    for auth in [
        "Bearer",
        "Bearer ",
        "Basic YWRtaW46YWRtaW4=",
        "bearer \u{7f}",
        &format!("Bearer {}", "a".repeat(10_000)),
    ] {
        let r = s
            .http
            .get(format!("{}/v1/endpoints", s.base))
            .header("authorization", auth)
            .send()
            .await;
        if let Ok(r) = r {
            assert_eq!(r.status().as_u16(), 401, "{auth:?}");
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn misbehaving_receivers_get_the_documented_outcome_and_do_not_stall_others() {
    let rx = TestReceiver::start().await;
    let raw = webhooks_tests::RawReceiver::start().await;
    let s = Stack::start_with(|c| {
        c.http_timeout = Duration::from_millis(800);
        c.retry = RetryPolicy::new(1, Duration::from_millis(10), 1.0).unwrap();
    })
    .await;
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        drop(l);
        format!("http://{a}/")
    };
    let cases: Vec<(String, Option<u64>, &str)> = vec![
        (rx.url("/status/500"), Some(500), "http_status"),
        (rx.url("/retry-after/1"), Some(503), "http_status"),
        (rx.url("/status/429"), Some(429), "http_status"),
        (rx.url("/status/410"), Some(410), "http_status"),
        (rx.url("/status/301"), Some(301), "http_status"),
        (rx.url("/sleep/5000"), None, "timeout"),
        (raw.url("/hang"), None, "timeout"),
        (refused, None, "connect"),
        (raw.url("/reset"), None, "io"),
    ];
    let mut eps = Vec::new();
    for (url, _, _) in &cases {
        eps.push(s.create_endpoint(ADMIN_A, url, &["ORDER_CREATED"]).await.0);
    }
    let (big, _) = s
        .create_endpoint(ADMIN_A, &raw.url("/big"), &["ORDER_CREATED"])
        .await;
    let (slow, _) = s
        .create_endpoint(ADMIN_A, &raw.url("/slow-body"), &["ORDER_CREATED"])
        .await;
    let (fast, _) = s
        .create_endpoint(ADMIN_A, &rx.url("/ok/fast"), &["INVOICE_VALIDATED"])
        .await;

    let started = Instant::now();
    let msg = s.publish_id("ENS_A", "ORDER_CREATED", json!({})).await;
    // While slow receivers hold connections, another endpoint is served at once.
    let quick = s.publish_id("ENS_A", "INVOICE_VALIDATED", json!({})).await;
    s.wait_status(ADMIN_A, &fast, &quick, "delivered").await;
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "a slow receiver stalled the others"
    );

    for ((url, status, error), ep) in cases.iter().zip(&eps) {
        s.wait_status(ADMIN_A, ep, &msg, "failed").await;
        let a = &s.attempts(ADMIN_A, ep, &msg).await[0];
        assert_eq!(a["status_code"].as_u64(), *status, "{url}: {a}");
        assert_eq!(a["error"], *error, "{url}: {a}");
    }
    // A 50 MiB answer: the 2xx counts, only a KiB of it is read, and a success keeps 256
    // bytes of it.
    let entry = s.wait_status(ADMIN_A, &big, &msg, "delivered").await;
    assert_eq!(entry["attempt_count"], 1);
    let a = &s.attempts(ADMIN_A, &big, &msg).await[0];
    assert_eq!(
        a["response_excerpt"].as_str().unwrap().len(),
        webhooks_core::services::SUCCESS_EXCERPT_BYTES
    );
    assert!(
        raw.bytes_sent_big() < 50 * 1024 * 1024,
        "the whole body was read"
    );
    // A 2xx whose body trickles in: accepted (the receiver said yes), bounded by the timeout.
    s.wait_status(ADMIN_A, &slow, &msg, "delivered").await;
    let a = &s.attempts(ADMIN_A, &slow, &msg).await[0];
    assert!(a["duration_ms"].as_u64().unwrap() < 1500, "{a}");
    s.stop().await;
}

/// Starts the fixture https receiver on a free port with certificate `cert` (see
/// tests/fixtures/tls/README.md); it answers 200.
async fn https_receiver(cert: &str) -> (tokio::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/tls/https_server.py");
    let mut server = tokio::process::Command::new("python3")
        .args([script, &port.to_string(), cert])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs the https receiver");
    let mut ready = String::new();
    use tokio::io::AsyncBufReadExt;
    tokio::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut ready)
        .await
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    (server, port)
}

/// The sender trusts the built-in Mozilla roots only (not the system store), plus the CAs
/// an operator adds with `WEBHOOKS_EXTRA_CA_FILE`: a self-signed certificate, and one from a
/// CA not added, are TLS failures; the same receiver is delivered to once its CA is added.
#[tokio::test]
async fn receivers_certificates_must_chain_to_a_trusted_root() {
    let ca = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/tls/ca.pem")).unwrap();
    // (certificate, trust the test CA?, status)
    for (cert, trust, status) in [
        ("self-signed", false, "failed"),
        ("ca-signed", false, "failed"),
        ("self-signed", true, "failed"),
        ("ca-signed", true, "delivered"),
    ] {
        let (_server, port) = https_receiver(cert).await;
        let ca = trust.then(|| ca.clone());
        let s = Stack::start_with(move |c| {
            c.retry = RetryPolicy::new(1, Duration::from_millis(10), 1.0).unwrap();
            c.extra_ca_pem = ca;
        })
        .await;
        let (ep, _) = s
            .create_endpoint(
                ADMIN_A,
                &format!("https://127.0.0.1:{port}/hook"),
                &["INVOICE_VALIDATED"],
            )
            .await;
        let msg = s.publish_id("ENS_A", "INVOICE_VALIDATED", json!({})).await;
        s.wait_status(ADMIN_A, &ep, &msg, status).await;
        let a = &s.attempts(ADMIN_A, &ep, &msg).await[0];
        if status == "failed" {
            assert_eq!(a["error"], "tls", "{cert}, CA trusted: {trust}: {a}");
            assert_eq!(a["status_code"], Value::Null);
        } else {
            assert_eq!(a["status_code"], 200, "{a}");
        }
        s.stop().await;
    }
}
