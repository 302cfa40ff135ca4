//! The admin UI: static files embedded in the binary (no CDN, works offline), served at `/`
//! and `/ui/*` with a strict Content-Security-Policy. The page names its scripts and styles
//! by content hash (`app.3f2a…e1.js`), which browsers cache for a year: on AWS each request
//! for a file is a Lambda invocation, so a returning admin costs one, for the page. For
//! front-end work, the files can be served from a directory instead, uncached and unhashed,
//! so edits show without rebuilding.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;

/// An embedded file: name, content type, content.
type Asset = (&'static str, &'static str, &'static [u8]);

const ASSETS: &[Asset] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../ui/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../ui/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../ui/app.css"),
    ),
];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// How long a file named by its hash may be cached: it never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

type UiDir = Arc<Option<PathBuf>>;

/// `name` with its content hash before the extension: `app.js` → `app.<12 hex>.js`.
fn hashed_name(name: &str, content: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(content);
    let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

/// The embedded page, with its references to the other files hashed.
fn embedded_index() -> &'static [u8] {
    static INDEX: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut page = String::from_utf8_lossy(ASSETS[0].2).into_owned();
        for (name, _, content) in &ASSETS[1..] {
            page = page.replace(
                &format!("\"/ui/{name}\""),
                &format!("\"/ui/{}\"", hashed_name(name, content)),
            );
        }
        page.into_bytes()
    })
}

/// The asset a request names (by its plain or hashed name), and whether that was its
/// current hashed name.
fn lookup(name: &str) -> Option<(&'static Asset, bool)> {
    ASSETS.iter().find_map(|a| {
        if a.0 == name {
            Some((a, false))
        } else {
            // A hash from another build (a page cached across a deploy) still gets today's
            // file, uncached, rather than a broken page.
            let (stem, ext) = a.0.rsplit_once('.')?;
            let hash = name
                .strip_prefix(stem)?
                .strip_prefix('.')?
                .strip_suffix(ext)?;
            let hash = hash.strip_suffix('.')?;
            let current = hashed_name(a.0, a.2) == name;
            (hash.len() == 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
                .then_some((a, current))
        }
    })
}

async fn asset(dir: &Option<PathBuf>, name: &str) -> Response {
    let Some((&(plain, mime, embedded), current)) = lookup(name) else {
        return crate::ApiError::not_found(&format!("asset {name}")).into_response();
    };
    let (body, cache) = match dir {
        Some(d) => match tokio::fs::read(d.join(plain)).await {
            Ok(bytes) => (bytes, "no-cache"),
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        },
        None if plain == "index.html" => (embedded_index().to_vec(), "no-cache"),
        None => (
            embedded.to_vec(),
            if current { IMMUTABLE } else { "no-cache" },
        ),
    };
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    resp
}

async fn index(State(dir): State<UiDir>) -> Response {
    asset(&dir, "index.html").await
}

async fn file(State(dir): State<UiDir>, Path(name): Path<String>) -> Response {
    asset(&dir, &name).await
}

/// UI routes; `dir` replaces the embedded files (front-end development only).
pub fn routes(dir: Option<PathBuf>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/ui/{name}", get(file))
        .with_state(Arc::new(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_its_files_by_hash_and_both_names_resolve() {
        let page = String::from_utf8(embedded_index().to_vec()).unwrap();
        for (name, _, content) in &ASSETS[1..] {
            let hashed = hashed_name(name, content);
            assert!(
                page.contains(&format!("/ui/{hashed}")),
                "{hashed} in the page"
            );
            assert!(
                !page.contains(&format!("\"/ui/{name}\"")),
                "no plain {name}"
            );
            // (requested name, found, current hash)
            let stale = hashed.replacen('.', ".000000000000x", 1);
            let (stem, ext) = name.rsplit_once('.').unwrap();
            let other_build = format!("{stem}.000000000000.{ext}");
            for (req, found, current) in [
                (hashed.as_str(), true, true),
                (*name, true, false),
                (other_build.as_str(), true, false),
                (stale.as_str(), false, false),
            ] {
                let got = lookup(req).map(|(a, c)| (a.0, c));
                let want = found.then_some((*name, current));
                assert_eq!(got, want, "{req}");
            }
        }
        assert!(lookup("nope.js").is_none());
        assert!(lookup("app.zzzzzzzzzzzz.js").is_none());
    }
}
