//! `ReqwestSender`, the `WebhookSender` adapter: one pooled reqwest client (rustls),
//! redirects never followed, a total timeout, at most 1 KiB of response body read, and —
//! unless private targets are allowed — an SSRF guard that resolves host names itself and
//! connects only to the public addresses it checked (DNS pinning).

use async_trait::async_trait;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use webhooks_core::model::FailureKind;
use webhooks_core::net::{forbidden_host_name, forbidden_reason};
use webhooks_core::ports::{OutboundRequest, SendResult, WebhookSender};
use webhooks_core::retry::parse_retry_after;

/// Bytes of response body kept for the attempt log.
pub const EXCERPT_BYTES: usize = 1024;

/// A resolution returned only non-public addresses.
#[derive(Debug)]
struct Blocked(&'static str);

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "target blocked: {}", self.0)
    }
}

impl StdError for Blocked {}

/// Where host names are looked up: the system resolver, or (unit tests) a fixed table, so
/// the resolver path can be tested without controlling DNS.
#[derive(Clone)]
enum Lookup {
    System,
    #[cfg(test)]
    Fixed(Arc<std::collections::HashMap<String, Vec<IpAddr>>>),
}

impl Lookup {
    async fn addresses(&self, host: &str) -> std::io::Result<Vec<SocketAddr>> {
        match self {
            Lookup::System => Ok(tokio::net::lookup_host((host, 0)).await?.collect()),
            #[cfg(test)]
            Lookup::Fixed(table) => Ok(table
                .get(host)
                .into_iter()
                .flatten()
                .map(|ip| SocketAddr::new(*ip, 0))
                .collect()),
        }
    }
}

/// Resolves host names and drops non-public addresses, so the connection can only go to an
/// address that passed the check.
struct PublicOnlyResolver(Lookup);

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let lookup = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            if let Some(reason) = forbidden_host_name(&host) {
                return Err(Box::new(Blocked(reason)) as Box<dyn StdError + Send + Sync>);
            }
            let all = lookup.addresses(&host).await?;
            let mut first_reason = None;
            let public: Vec<SocketAddr> = all
                .into_iter()
                .filter(|a| match forbidden_reason(a.ip()) {
                    Some(r) => {
                        first_reason.get_or_insert(r);
                        false
                    }
                    None => true,
                })
                .collect();
            if public.is_empty() {
                return Err(Box::new(Blocked(first_reason.unwrap_or("no address"))) as _);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Sends webhook requests over one shared connection pool.
#[derive(Clone)]
pub struct ReqwestSender {
    client: reqwest::Client,
    allow_private: bool,
}

impl ReqwestSender {
    /// Builds the client once; reuse it for every request (connection reuse). It trusts the
    /// Mozilla root certificates compiled in (webpki-roots: the same on a laptop and on
    /// Lambda, whatever the system store holds), plus `extra_roots_pem`, PEM certificates of
    /// private CAs an operator chose to trust. With `proxy` (an `http://host:port` egress
    /// proxy), every request goes through it, and the proxy resolves host names: checking
    /// what names point at is then its job (literal addresses are still checked here).
    pub fn new(
        timeout: Duration,
        allow_private: bool,
        extra_roots_pem: Option<&[u8]>,
        proxy: Option<&str>,
    ) -> Result<Self, reqwest::Error> {
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
    ) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("pp-svc-webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(60));
        builder = match proxy {
            Some(p) => builder.proxy(reqwest::Proxy::all(p)?),
            // The environment's proxy variables are not a webhook setting.
            None => builder.no_proxy(),
        };
        // Through a proxy, the only name resolved here is the proxy's own, which an
        // operator chose (it may well be private): names of receivers are the proxy's to check.
        if !allow_private && proxy.is_none() {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver(lookup)));
        }
        for root in extra_roots_pem
            .map(reqwest::Certificate::from_pem_bundle)
            .transpose()?
            .into_iter()
            .flatten()
        {
            builder = builder.add_root_certificate(root);
        }
        Ok(Self {
            client: builder.build()?,
            allow_private,
        })
    }

    /// Why a URL whose host is an IP literal may not be called; names are checked when
    /// they are resolved ([`PublicOnlyResolver`]).
    fn literal_target_blocked(&self, url: &url::Url) -> Option<&'static str> {
        if self.allow_private {
            return None;
        }
        match url.host()? {
            url::Host::Ipv4(ip) => forbidden_reason(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => forbidden_reason(IpAddr::V6(ip)),
            url::Host::Domain(_) => None,
        }
    }
}

/// The causes of an error, outermost first.
fn causes(e: &reqwest::Error) -> Vec<&(dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut next = e.source();
    while let Some(s) = next {
        out.push(s);
        next = s.source();
    }
    out
}

/// The failure kind of a transport error, and for a blocked target, why.
fn classify(e: &reqwest::Error) -> (FailureKind, Option<&'static str>) {
    let all = causes(e);
    let chain = || all.iter().copied();
    if let Some(b) = chain().find_map(|s| s.downcast_ref::<Blocked>()) {
        return (FailureKind::Blocked, Some(b.0));
    }
    let kind = match classify_transport(chain()) {
        FailureKind::Io if e.is_timeout() => FailureKind::Timeout,
        FailureKind::Io if e.is_connect() => FailureKind::Connect,
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
impl WebhookSender for ReqwestSender {
    async fn send(&self, req: OutboundRequest) -> SendResult {
        let started = Instant::now();
        // Parsed once, for the check and the request. One that does not parse is handed to
        // reqwest as it is, whose error classifies the failure.
        let target = url::Url::parse(&req.url);
        let blocked = target
            .as_ref()
            .ok()
            .and_then(|u| self.literal_target_blocked(u));
        if let Some(reason) = blocked {
            tracing::warn!(url = %req.url, reason, "blocked webhook target");
            return failure((FailureKind::Blocked, Some(reason)), started);
        }
        let builder = match target {
            Ok(url) => self.client.post(url),
            Err(_) => self.client.post(&req.url),
        };
        let mut builder = builder
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(req.body);
        for (name, value) in req.headers {
            builder = builder.header(name.as_ref(), value);
        }
        let mut resp = match builder.send().await {
            Ok(r) => r,
            Err(e) => return failure(classify(&e), started),
        };
        let status = resp.status().as_u16();
        let retry_after = matches!(status, 429 | 503)
            .then(|| {
                resp.headers()
                    .get(RETRY_AFTER)?
                    .to_str()
                    .ok()
                    .map(str::to_owned)
            })
            .flatten()
            .and_then(|v| parse_retry_after(&v, chrono::Utc::now()));
        // Read at most a KiB; the rest is never downloaded (the connection is dropped).
        let mut excerpt = Vec::new();
        let mut error = None;
        while excerpt.len() < EXCERPT_BYTES {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = EXCERPT_BYTES - excerpt.len();
                    excerpt.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                Err(e) => {
                    // A 2xx whose body breaks off still counts: the receiver accepted it.
                    if !(200..300).contains(&status) {
                        error = Some(classify(&e).0);
                    }
                    break;
                }
            }
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
    use bytes::Bytes;

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
        let s = ReqwestSender::new(Duration::from_millis(300), true, None, None).unwrap();

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
        let s = ReqwestSender::new(
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

    #[tokio::test]
    async fn connection_refused_is_a_connect_failure() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let s = ReqwestSender::new(Duration::from_secs(2), true, None, None).unwrap();
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
        let sender =
            ReqwestSender::build(Duration::from_secs(2), false, lookup, None, None).unwrap();
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
        let guarded = ReqwestSender::new(Duration::from_secs(2), false, None, None).unwrap();
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
        let open = ReqwestSender::new(Duration::from_secs(2), true, None, None).unwrap();
        assert_eq!(
            open.send(request(format!("http://{addr}/"))).await.status,
            Some(200)
        );
    }
}
