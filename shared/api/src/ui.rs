//! The admin UI: static files embedded in the binary (no CDN, works offline), served at `/`
//! and `/ui/*` with a strict Content-Security-Policy. Every file but the page is fetched by
//! its content-hashed name (`app.3f2a…e1.js`), which browsers cache for a year: on AWS each
//! request for a file is a Lambda invocation, so a returning admin costs one, for the page.
//!
//! The page and the ES modules name their siblings plainly (`"/ui/app.js"`,
//! `from './i18n.js'`). Serving the embedded files rewrites those references to hashed
//! names, and a file's hash is taken over its rewritten content, so files are processed
//! leaves first: a changed module changes the name of every module that imports it, up to
//! the page. The imports must therefore form no cycle (a test checks it).
//!
//! For front-end work, the files can be served from a directory instead, uncached and
//! unhashed, so edits show without rebuilding.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// An embedded file: name, content.
type Asset = (&'static str, &'static [u8]);

macro_rules! assets {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../ui/", $name)))),*]
    };
}

/// Every file of `shared/api/ui/` (a test checks that none is missing).
const ASSETS: &[Asset] = assets![
    "index.html",
    "app.css",
    "app.js",
    "api.js",
    "attempts.js",
    "chart.js",
    "detail-actions.js",
    "detail-log.js",
    "detail-summary.js",
    "detail.js",
    "dialogs.js",
    "dom.js",
    "filter-builder.js",
    "form-logic.js",
    "form-types.js",
    "form.js",
    "format.js",
    "headers-editor.js",
    "i18n-en.js",
    "i18n-fr.js",
    "i18n.js",
    "list.js",
    "notifications.js",
    "page.js",
    "payload.js",
    "router.js",
    "search.js",
    "secret.js",
    "state.js",
    "token.js",
];

const PAGE: &str = "index.html";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// How long a file named by its hash may be cached: it never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

type UiDir = Arc<Option<PathBuf>>;

fn mime(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        _ => "application/octet-stream",
    }
}

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

/// How a file names a sibling `n`: `'./n'` or `"./n"` (module imports), `"/ui/n"` (the page).
fn references(name: &str) -> [String; 3] {
    [
        format!("'./{name}'"),
        format!("\"./{name}\""),
        format!("\"/ui/{name}\""),
    ]
}

/// An embedded file as served: its references to siblings hashed, and its own hashed name.
struct Served {
    name: &'static str,
    body: Vec<u8>,
    hashed: String,
}

/// `assets` with references rewritten, leaves first: a file is done once every sibling it
/// names is. Files left in an import cycle keep their plain references to each other
/// (still served, but uncached); the tests refuse that.
fn rewrite_all(assets: &[Asset]) -> Vec<Served> {
    let n = assets.len();
    let texts: Vec<String> = (assets.iter())
        .map(|(_, c)| String::from_utf8_lossy(c).into_owned())
        .collect();
    let deps: Vec<Vec<usize>> = (texts.iter().enumerate())
        .map(|(i, text)| {
            (0..n)
                .filter(|&j| j != i && references(assets[j].0).iter().any(|r| text.contains(r)))
                .collect()
        })
        .collect();
    // (rewritten body, hashed name) of each file done.
    let mut done: Vec<Option<(String, String)>> = vec![None; n];
    while done.iter().any(Option::is_none) {
        let todo = (0..n).filter(|&i| done[i].is_none());
        let ready: Vec<usize> = (todo.clone())
            .filter(|&i| deps[i].iter().all(|&j| done[j].is_some()))
            .collect();
        let round = if ready.is_empty() {
            todo.collect()
        } else {
            ready
        };
        let finished: Vec<(usize, String)> = (round.into_iter())
            .map(|i| {
                let mut body = texts[i].clone();
                for &j in &deps[i] {
                    if let Some((_, hashed)) = &done[j] {
                        for (plain, new) in references(assets[j].0).iter().zip(references(hashed)) {
                            body = body.replace(plain, &new);
                        }
                    }
                }
                (i, body)
            })
            .collect();
        for (i, body) in finished {
            let hashed = hashed_name(assets[i].0, body.as_bytes());
            done[i] = Some((body, hashed));
        }
    }
    (assets.iter().zip(done))
        .map(|(a, d)| {
            let (body, hashed) = d.unwrap_or_default();
            Served {
                name: a.0,
                body: body.into_bytes(),
                hashed,
            }
        })
        .collect()
}

fn served() -> &'static [Served] {
    static SERVED: OnceLock<Vec<Served>> = OnceLock::new();
    SERVED.get_or_init(|| rewrite_all(ASSETS))
}

/// The file a request names (by its plain or hashed name), and whether that was its
/// current hashed name.
fn lookup(name: &str) -> Option<(&'static Served, bool)> {
    served().iter().find_map(|s| {
        if s.name == name {
            Some((s, false))
        } else {
            // A hash from another build (a page cached across a deploy) still gets today's
            // file, uncached, rather than a broken page.
            let (stem, ext) = s.name.rsplit_once('.')?;
            let hash = name
                .strip_prefix(stem)?
                .strip_prefix('.')?
                .strip_suffix(ext)?;
            let hash = hash.strip_suffix('.')?;
            (hash.len() == 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
                .then_some((s, s.hashed == name))
        }
    })
}

async fn asset(dir: &Option<PathBuf>, name: &str) -> Response {
    let Some((file, current)) = lookup(name) else {
        return crate::ApiError::not_found(&format!("asset {name}")).into_response();
    };
    let (body, cache) = match dir {
        Some(d) => match tokio::fs::read(d.join(file.name)).await {
            Ok(bytes) => (Bytes::from(bytes), "no-cache"),
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        },
        None => (
            Bytes::from_static(&file.body),
            if current && file.name != PAGE {
                IMMUTABLE
            } else {
                "no-cache"
            },
        ),
    };
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(mime(file.name)),
    );
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
    asset(&dir, PAGE).await
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

    fn page() -> String {
        let (p, _) = lookup(PAGE).unwrap();
        String::from_utf8(p.body.clone()).unwrap()
    }

    /// Every quoted `./x` or `/ui/x` in `text`: the names it asks the server for.
    fn named_siblings(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for quote in ['\'', '"'] {
            for prefix in ["./", "/ui/"] {
                let open = format!("{quote}{prefix}");
                for (at, _) in text.match_indices(&open) {
                    let rest = &text[at + open.len()..];
                    if let Some(end) = rest.find(quote) {
                        out.push(rest[..end].to_owned());
                    }
                }
            }
        }
        out
    }

    /// The module specifiers of `text`: `from '…'`, `import '…'`, `import("…")`.
    fn specifiers(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for key in ["from ", "import ", "import("] {
            for (at, _) in text.match_indices(key) {
                let rest = &text[at + key.len()..];
                let Some(q) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else {
                    continue;
                };
                if let Some(end) = rest[1..].find(q) {
                    out.push(rest[1..1 + end].to_owned());
                }
            }
        }
        out
    }

    #[test]
    fn every_file_is_reachable_by_its_hashed_and_plain_names() {
        let page = page();
        for s in served() {
            assert_eq!(
                s.hashed,
                hashed_name(s.name, &s.body),
                "{}: hash of what is served",
                s.name
            );
            if s.name != PAGE {
                assert!(
                    page.contains(&format!("\"/ui/{}\"", s.hashed)),
                    "{} in the page",
                    s.hashed
                );
                assert!(
                    !page.contains(&format!("\"/ui/{}\"", s.name)),
                    "no plain {} in the page",
                    s.name
                );
            }
            // (requested name, found, current hash)
            let stale = s.hashed.replacen('.', ".000000000000x", 1);
            let (stem, ext) = s.name.rsplit_once('.').unwrap();
            let other_build = format!("{stem}.000000000000.{ext}");
            for (req, found, current) in [
                (s.hashed.as_str(), true, true),
                (s.name, true, false),
                (other_build.as_str(), true, false),
                (stale.as_str(), false, false),
            ] {
                let got = lookup(req).map(|(a, c)| (a.name, c));
                let want = found.then_some((s.name, current));
                assert_eq!(got, want, "{req}");
            }
        }
        assert!(lookup("nope.js").is_none());
        assert!(lookup("app.zzzzzzzzzzzz.js").is_none());
    }

    #[test]
    fn served_files_name_their_siblings_only_by_current_hash() {
        let hashed: Vec<&str> = served().iter().map(|s| s.hashed.as_str()).collect();
        for s in served() {
            let text = String::from_utf8(s.body.clone()).unwrap();
            for name in named_siblings(&text) {
                assert!(
                    hashed.contains(&name.as_str()),
                    "{} names {name}, not a current hashed file",
                    s.name
                );
            }
            if s.name.ends_with(".js") {
                // Also a specifier the rewriting would not recognise (`from "../x.js"`).
                for spec in specifiers(&text) {
                    let name = spec.strip_prefix("./").unwrap_or(&spec);
                    assert!(hashed.contains(&name), "{}: import of {spec}", s.name);
                }
            }
        }
        // All modules load with the page, in one round: each is preloaded by hash.
        let page = page();
        for s in served().iter().filter(|s| s.name.ends_with(".js")) {
            assert!(
                page.contains(&format!("\"/ui/{}\"", s.hashed)),
                "{} preloaded",
                s.name
            );
        }
    }

    #[test]
    fn a_hash_covers_the_hashes_of_what_a_file_imports() {
        let a = b"import { b } from './b.js';\n";
        let tree = |b: &'static [u8]| {
            let files = rewrite_all(&[
                ("index.html", b"<script src=\"/ui/a.js\">"),
                ("a.js", a),
                ("b.js", b),
            ]);
            files
                .into_iter()
                .map(|s| (s.hashed, String::from_utf8(s.body).unwrap()))
                .collect::<Vec<_>>()
        };
        let one = tree(b"export const b = 1;\n");
        let two = tree(b"export const b = 2;\n");
        assert!(
            one[1].1.contains(&format!("from './{}'", one[2].0)),
            "{}",
            one[1].1
        );
        assert!(
            one[0].1.contains(&format!("\"/ui/{}\"", one[1].0)),
            "{}",
            one[0].1
        );
        assert_ne!(one[2].0, two[2].0, "the changed module");
        assert_ne!(one[1].0, two[1].0, "its importer");
        // A cycle cannot be hashed leaves first: its files keep their plain references, which
        // the test above refuses.
        let cycle = rewrite_all(&[("a.js", b"import './b.js';"), ("b.js", b"import './a.js';")]);
        assert_eq!(cycle[0].body, b"import './b.js';");
        assert!(cycle.iter().all(|s| !s.hashed.is_empty()));
    }

    #[test]
    fn every_file_of_the_ui_directory_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let e = e.unwrap();
                e.file_type()
                    .unwrap()
                    .is_file()
                    .then(|| e.file_name().into_string().unwrap())
            })
            .filter(|n| [".html", ".css", ".js"].iter().any(|x| n.ends_with(x)))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.0.to_owned()).collect();
        embedded.sort();
        assert_eq!(
            on_disk,
            embedded,
            "ASSETS in ui.rs and the files of {}",
            dir.display()
        );
    }
}
