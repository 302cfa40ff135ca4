//! `HyperSender`, the `WebhookSender` adapter: one pooled hyper client (rustls, HTTP/1.1 and
//! HTTP/2), redirects never followed, a total timeout, at most 1 KiB of response body read,
//! and — unless private targets are allowed — an SSRF guard that resolves host names itself
//! and connects only to the public addresses it checked (DNS pinning, [`connect`]).
//!
//! hyper's client and not reqwest's, which wraps it: reqwest's per-request layers (headers
//! copied, redirect and retry policies, the URL parsed again) were a tenth of the local
//! service's CPU per delivery (docs/BENCHMARKS.md).

mod connect;

use async_trait::async_trait;
use bytes::Bytes;
use connect::{literal_blocked, tls_config, Blocked, Lookup, Resolver, Route};
use http::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::error::Error as StdError;
use std::time::{Duration, Instant};
use webhooks_core::model::FailureKind;
use webhooks_core::ports::{OutboundRequest, SendResult, WebhookSender};
use webhooks_core::retry::parse_retry_after;

/// Bytes of response body kept for the attempt log.
pub const EXCERPT_BYTES: usize = 1024;

const AGENT: HeaderValue =
    HeaderValue::from_static(concat!("pp-svc-webhooks/", env!("CARGO_PKG_VERSION")));

/// Why the sender could not be built: the operator's settings, named.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("extra CA certificates: {0}")]
    Certificates(String),
    #[error("TLS settings: {0}")]
    Tls(String),
    #[error("proxy URL {0:?}: expected http://host:port")]
    Proxy(String),
}

/// Sends webhook requests over one shared connection pool.
#[derive(Clone)]
pub struct HyperSender {
    client: Client<HttpsConnector<Route>, Full<Bytes>>,
    timeout: Duration,
    allow_private: bool,
}

impl HyperSender {
    /// Builds the client once; reuse it for every request (connection reuse). It trusts the
    /// Mozilla root certificates compiled in, plus `extra_roots_pem`. With `proxy` (an
    /// `http://host:port` egress proxy), every request goes through it, and the proxy
    /// resolves host names: checking what names point at is then its job (literal addresses
    /// are still checked here).
    pub fn new(
        timeout: Duration,
        allow_private: bool,
        extra_roots_pem: Option<&[u8]>,
        proxy: Option<&str>,
    ) -> Result<Self, BuildError> {
        Self::build(
            timeout,
            allow_private,
            Lookup::System,
            extra_roots_pem,
            proxy,
        )
    }

    fn build(
        timeout: Duration,
        allow_private: bool,
        lookup: Lookup,
        extra_roots_pem: Option<&[u8]>,
        proxy: Option<&str>,
    ) -> Result<Self, BuildError> {
        let proxy = proxy
            .map(|p| match p.parse::<http::Uri>() {
                Ok(uri) if uri.scheme_str() == Some("http") && uri.host().is_some() => Ok(uri),
                _ => Err(BuildError::Proxy(p.to_owned())),
            })
            .transpose()?;
        // Through a proxy, the only name resolved here is the proxy's own, which an
        // operator chose (it may well be private).
        let public_only = !allow_private && proxy.is_none();
        let route = Route::new(
            Resolver {
                lookup,
                public_only,
            },
            timeout,
            proxy,
        );
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(extra_roots_pem)?)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(route);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_timer(TokioTimer::new())
            .build(https);
        Ok(Self {
            client,
            timeout,
            allow_private,
        })
    }

    /// The request, or why none is made: a URL that is not one, or a blocked literal address.
    fn request(
        &self,
        req: OutboundRequest,
        started: Instant,
    ) -> Result<http::Request<Full<Bytes>>, SendResult> {
        // The WHATWG parse (as at registration) normalises what http's stricter one refuses
        // (international names, numeric IPv4 forms), so literal addresses are all caught.
        let url =
            url::Url::parse(&req.url).map_err(|_| failure((FailureKind::Io, None), started))?;
        if !self.allow_private {
            if let Some(reason) = literal_blocked(&url) {
                tracing::warn!(url = %req.url, reason, "blocked webhook target");
                return Err(failure((FailureKind::Blocked, Some(reason)), started));
            }
        }
        let mut builder = http::Request::post(url.as_str())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, AGENT);
        for (name, value) in req.headers {
            builder = builder.header(name.as_ref(), value);
        }
        builder.body(Full::new(req.body)).map_err(|e| {
            tracing::error!(url = %req.url, error = %e, "webhook request not built");
            failure((FailureKind::Io, None), started)
        })
    }
}

/// The failure kind of a transport error, and for a blocked target, why.
fn classify(e: &(dyn StdError + 'static), connecting: bool) -> (FailureKind, Option<&'static str>) {
    let chain = || std::iter::successors(Some(e), |&s| s.source());
    if let Some(b) = chain().find_map(|s| s.downcast_ref::<Blocked>()) {
        return (FailureKind::Blocked, Some(b.0));
    }
    let timed_out = chain().any(|s| {
        s.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    });
    let kind = match classify_transport(chain()) {
        FailureKind::Io if timed_out => FailureKind::Timeout,
        FailureKind::Io if connecting => FailureKind::Connect,
        kind => kind,
    };
    (kind, None)
}

fn classify_transport<'a>(
    chain: impl Iterator<Item = &'a (dyn StdError + 'static)>,
) -> FailureKind {
    for s in chain {
        let text = s.to_string().to_ascii_lowercase();
        if text.contains("dns error") || text.contains("failed to lookup address") {
            return FailureKind::Dns;
        }
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            return FailureKind::Tls;
        }
    }
    FailureKind::Io
}

/// A request that got no response. For a blocked target the reason takes the place of
/// the response excerpt, so the attempt log says why nothing was sent.
fn failure((kind, blocked): (FailureKind, Option<&'static str>), started: Instant) -> SendResult {
    SendResult {
        status: None,
        error: Some(kind),
        retry_after: None,
        excerpt: blocked.map(|reason| format!("target blocked: {reason}")),
        duration: started.elapsed(),
    }
}

#[async_trait]
impl WebhookSender for HyperSender {
    async fn send(&self, req: OutboundRequest) -> SendResult {
        let started = Instant::now();
        let deadline = tokio::time::Instant::from_std(started + self.timeout);
        let request = match self.request(req, started) {
            Ok(r) => r,
            Err(unsent) => return unsent,
        };
        let resp = match tokio::time::timeout_at(deadline, self.client.request(request)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return failure(classify(&e, e.is_connect()), started),
            Err(_) => return failure((FailureKind::Timeout, None), started),
        };
        let status = resp.status().as_u16();
        let retry_after = matches!(status, 429 | 503)
            .then(|| resp.headers().get(RETRY_AFTER)?.to_str().ok())
            .flatten()
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
        // Read at most a KiB, within the same deadline; the rest is never downloaded (the
        // connection is dropped). A 2xx whose body breaks off still counts: the receiver
        // accepted it.
        let mut body = resp.into_body();
        let mut excerpt = Vec::new();
        let mut error = None;
        while excerpt.len() < EXCERPT_BYTES {
            let broke = match tokio::time::timeout_at(deadline, body.frame()).await {
                Ok(Some(Ok(frame))) => {
                    if let Some(chunk) = frame.data_ref() {
                        let room = EXCERPT_BYTES - excerpt.len();
                        excerpt.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    }
                    continue;
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => classify(&e, false).0,
                Err(_) => FailureKind::Timeout,
            };
            if !(200..300).contains(&status) {
                error = Some(broke);
            }
            break;
        }
        SendResult {
            status: Some(status),
            error,
            retry_after,
            excerpt: (!excerpt.is_empty()).then(|| String::from_utf8_lossy(&excerpt).into_owned()),
            duration: started.elapsed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use std::net::{IpAddr, SocketAddr};
    use std::sync::Arc;

    async fn serve(app: axum::Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    fn request(url: String) -> OutboundRequest {
        OutboundRequest {
            url,
            headers: vec![("webhook-id".into(), "msg_x".into())],
            body: Bytes::from_static(b"{}"),
        }
    }

    #[tokio::test]
    async fn statuses_retry_after_excerpts_and_no_redirects() {
        let app = axum::Router::new()
            .route("/ok", post(|| async { "x".repeat(5000) }))
            .route(
                "/busy",
                post(|| async {
                    (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        [("retry-after", "42")],
                        "later",
                    )
                }),
            )
            .route(
                "/moved",
                post(|| async {
                    (
                        axum::http::StatusCode::MOVED_PERMANENTLY,
                        [("location", "/ok")],
                    )
                }),
            )
            .route(
                "/slow",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            );
        let addr = serve(app).await;
        let s = HyperSender::new(Duration::from_millis(300), true, None, None).unwrap();

        let r = s.send(request(format!("http://{addr}/ok"))).await;
        assert_eq!((r.status, r.error), (Some(200), None));
        assert_eq!(r.excerpt.unwrap().len(), EXCERPT_BYTES);

        let r = s.send(request(format!("http://{addr}/busy"))).await;
        assert_eq!(r.status, Some(503));
        assert_eq!(r.retry_after, Some(Duration::from_secs(42)));

        let r = s.send(request(format!("http://{addr}/moved"))).await;
        assert_eq!(r.status, Some(301), "redirects are not followed");

        let r = s.send(request(format!("http://{addr}/slow"))).await;
        assert_eq!((r.status, r.error), (None, Some(FailureKind::Timeout)));
    }

    /// Through a proxy, the request names the receiver's URL and the proxy looks the name
    /// up: `.invalid` never resolves, so only the proxy can have answered.
    #[tokio::test]
    async fn a_proxy_carries_requests_and_resolves_names() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let proxy = axum::Router::new().fallback(move |uri: axum::http::Uri| async move {
            log.lock().unwrap().push(uri.to_string());
            axum::http::StatusCode::NO_CONTENT
        });
        let addr = serve(proxy).await;
        // Named by a private name: the operator's proxy is reached whatever it resolves to.
        let s = HyperSender::new(
            Duration::from_secs(2),
            false,
            None,
            Some(&format!("http://localhost:{}", addr.port())),
        )
        .unwrap();
        let r = s.send(request("http://hooks.invalid/in?x=1".into())).await;
        assert_eq!((r.status, r.error), (Some(204), None));
        assert_eq!(*seen.lock().unwrap(), ["http://hooks.invalid/in?x=1"]);
        let r = s.send(request("http://10.0.0.1/in".into())).await;
        assert_eq!(
            r.error,
            Some(FailureKind::Blocked),
            "literal addresses are still checked"
        );
    }

    /// An `https` receiver is reached through a `CONNECT` tunnel that names it, so the proxy
    /// never sees the request; here the proxy records the tunnel's request and hangs up.
    #[tokio::test]
    async fn https_through_a_proxy_asks_for_a_tunnel() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let head = tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = vec![0; 1024];
            let n = conn.read(&mut buf).await.unwrap();
            conn.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        let proxy = format!("http://127.0.0.1:{port}");
        let s = HyperSender::new(Duration::from_secs(2), false, None, Some(&proxy)).unwrap();
        let r = s.send(request("https://hooks.invalid/in".into())).await;
        assert_eq!(r.status, None, "{r:?}");
        let head = head.await.unwrap();
        assert!(
            head.starts_with("CONNECT hooks.invalid:443 HTTP/1.1\r\n"),
            "{head}"
        );
    }

    #[test]
    fn a_proxy_must_be_an_http_url() {
        for bad in ["socks5://127.0.0.1:1080", "127.0.0.1:3128", "http://"] {
            let e = HyperSender::new(Duration::from_secs(1), false, None, Some(bad));
            assert!(matches!(e, Err(BuildError::Proxy(_))), "{bad}");
        }
    }

    #[tokio::test]
    async fn connection_refused_is_a_connect_failure() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let s = HyperSender::new(Duration::from_secs(2), true, None, None).unwrap();
        let r = s.send(request(format!("http://{addr}/"))).await;
        assert_eq!(r.error, Some(FailureKind::Connect));
    }

    /// A public-looking name whose DNS answer holds only non-public addresses (rebinding,
    /// an internal name) is refused when connecting, with the reason, and nothing is sent.
    #[tokio::test]
    async fn names_resolving_to_non_public_addresses_are_blocked() {
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = hits.clone();
        let app = axum::Router::new().route(
            "/",
            post(move || async move {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                "ok"
            }),
        );
        let addr = serve(app).await;
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let table = [
            ("rebind.example", vec![ip("127.0.0.1")]),
            ("internal.example", vec![ip("10.1.2.3"), ip("127.0.0.1")]),
            ("metadata.example", vec![ip("169.254.169.254")]),
            ("mapped.example", vec![ip("::ffff:127.0.0.1")]),
        ];
        let lookup = Lookup::Fixed(Arc::new(
            table
                .iter()
                .map(|(h, a)| (h.to_string(), a.clone()))
                .collect(),
        ));
        let sender = HyperSender::build(Duration::from_secs(2), false, lookup, None, None).unwrap();
        for (host, _) in &table {
            let url = format!("http://{host}:{}/", addr.port());
            let r = sender.send(request(url.clone())).await;
            assert_eq!(r.error, Some(FailureKind::Blocked), "{url}");
            assert!(r.excerpt.unwrap().starts_with("target blocked: "), "{url}");
        }
        let r = sender
            .send(request(format!("http://rebind.example:{}/", addr.port())))
            .await;
        assert_eq!(r.excerpt.as_deref(), Some("target blocked: loopback"));
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn private_targets_are_blocked_unless_allowed() {
        let addr = serve(axum::Router::new().route("/", post(|| async { "ok" }))).await;
        let guarded = HyperSender::new(Duration::from_secs(2), false, None, None).unwrap();
        for url in [
            format!("http://{addr}/"),
            format!("http://localhost:{}/", addr.port()),
            format!("http://2130706433:{}/", addr.port()),
            "http://[::1]:9/".to_owned(),
            "http://169.254.169.254/latest/meta-data/".to_owned(),
        ] {
            let r = guarded.send(request(url.clone())).await;
            assert_eq!(r.error, Some(FailureKind::Blocked), "{url}");
            assert!(r.excerpt.unwrap().starts_with("target blocked: "), "{url}");
        }
        let open = HyperSender::new(Duration::from_secs(2), true, None, None).unwrap();
        assert_eq!(
            open.send(request(format!("http://{addr}/"))).await.status,
            Some(200)
        );
    }
}
