//! How a connection reaches a receiver: host names resolved and checked here (DNS pinning),
//! then straight to the receiver or through an operator's egress proxy; and the TLS settings.

use crate::BuildError;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::error::Error as StdError;
use std::future::Future;
use std::io::IoSlice;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;
use tower_service::Service;
use webhooks_core::net::{forbidden_host_name, forbidden_reason};

type BoxError = Box<dyn StdError + Send + Sync>;
type Connecting<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// A resolution returned only non-public addresses, or the name itself is not public.
#[derive(Debug)]
pub(crate) struct Blocked(pub(crate) &'static str);

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "target blocked: {}", self.0)
    }
}

impl StdError for Blocked {}

/// Where host names are looked up: the system resolver, or (unit tests) a fixed table, so
/// the resolver path can be tested without controlling DNS.
#[derive(Clone)]
pub(crate) enum Lookup {
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

/// Resolves host names; unless private targets are allowed, drops non-public addresses, so
/// a connection can only go to an address that passed the check.
#[derive(Clone)]
pub(crate) struct Resolver {
    pub(crate) lookup: Lookup,
    pub(crate) public_only: bool,
}

impl Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = Connecting<Self::Response>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let (lookup, public_only) = (self.lookup.clone(), self.public_only);
        Box::pin(async move {
            let host = name.as_str();
            if public_only {
                if let Some(reason) = forbidden_host_name(host) {
                    return Err(Box::new(Blocked(reason)) as BoxError);
                }
            }
            let mut all = lookup.addresses(host).await?;
            if public_only {
                let mut first_reason = None;
                all.retain(|a| match forbidden_reason(a.ip()) {
                    Some(reason) => {
                        first_reason.get_or_insert(reason);
                        false
                    }
                    None => true,
                });
                if all.is_empty() {
                    return Err(Box::new(Blocked(first_reason.unwrap_or("no address"))) as _);
                }
            }
            Ok(all.into_iter())
        })
    }
}

/// Why a literal address may not be called; names are checked when resolved ([`Resolver`]).
pub(crate) fn literal_blocked(url: &url::Url) -> Option<&'static str> {
    match url.host()? {
        url::Host::Ipv4(ip) => forbidden_reason(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => forbidden_reason(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// TCP connections to a receiver: straight, or through the egress proxy — a `CONNECT`
/// tunnel for `https`, and for `http` a connection to the proxy that carries requests in
/// absolute form (the proxy then resolves names, and checking them is its job).
#[derive(Clone)]
pub(crate) struct Route {
    pub(crate) tcp: HttpConnector<Resolver>,
    pub(crate) proxy: Option<http::Uri>,
}

impl Route {
    pub(crate) fn new(resolver: Resolver, timeout: Duration, proxy: Option<http::Uri>) -> Self {
        let mut tcp = HttpConnector::new_with_resolver(resolver);
        tcp.enforce_http(false); // TLS is layered on top, for `https` URLs
        tcp.set_nodelay(true); // a request is written whole: no reason to wait for an ACK
        tcp.set_connect_timeout(Some(timeout));
        Self { tcp, proxy }
    }
}

impl Service<http::Uri> for Route {
    type Response = Routed;
    type Error = BoxError;
    type Future = Connecting<Routed>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        let mut tcp = self.tcp.clone();
        let proxy = self.proxy.clone();
        Box::pin(async move {
            let (io, plain_proxy) = match proxy {
                None => (tcp.call(dst).await?, false),
                Some(p) if dst.scheme() == Some(&http::uri::Scheme::HTTPS) => {
                    (Tunnel::new(p, tcp).call(dst).await?, false)
                }
                Some(p) => (tcp.call(p).await?, true),
            };
            Ok(Routed { io, plain_proxy })
        })
    }
}

/// A connection [`Route`] made; tells the client when requests must name the whole URL.
pub(crate) struct Routed {
    io: TokioIo<TcpStream>,
    plain_proxy: bool,
}

impl Connection for Routed {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.plain_proxy)
    }
}

impl Read for Routed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for Routed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The TLS settings: the Mozilla roots compiled in (webpki-roots: the same on a laptop and
/// on Lambda, whatever the system store holds), plus `extra_roots_pem`, PEM certificates of
/// private CAs an operator chose to trust.
pub(crate) fn tls_config(
    extra_roots_pem: Option<&[u8]>,
) -> Result<rustls::ClientConfig, BuildError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in extra_roots_pem
        .map(CertificateDer::pem_slice_iter)
        .into_iter()
        .flatten()
    {
        let cert = cert.map_err(|e| BuildError::Certificates(e.to_string()))?;
        roots
            .add(cert)
            .map_err(|e| BuildError::Certificates(e.to_string()))?;
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| BuildError::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth())
}
