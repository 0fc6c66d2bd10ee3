//! Serves the browser apps (`vigie_shared::routes`): each app's `index.html` for the pages it
//! routes (the office app's also for unknown addresses, its "page not found"), hashed assets
//! with a long cache, and the phone's service worker at the root (its scope is the whole site)
//! with a build stamp, so each build changes its bytes and browsers install the new one.

use std::path::Path;

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use sha2::{Digest, Sha256};
use tower_http::services::ServeDir;
use vigie_shared::routes::App;

/// The placeholder in `public/sw.js` that the server replaces with the build stamp.
pub const BUILD_PLACEHOLDER: &str = "__VIGIE_BUILD__";

/// What the server reads of the build once, at start.
#[derive(Clone)]
pub struct Build {
    /// Each app's `index.html`, in the order of `App::ALL`.
    pages: [String; App::ALL.len()],
    /// `approver/sw.js` with its stamp, when the build has one.
    service_worker: Option<String>,
    /// `approver/offline.html`, when the build has one.
    offline: Option<String>,
}

impl Build {
    /// Reads `dist/` as `scripts/build.sh` leaves it: the office app at the root, the others in
    /// their folder. An app not built gets a placeholder page (so the API works in tests).
    pub fn load(dist: &Path) -> Self {
        let read = |relative: &str| std::fs::read_to_string(dist.join(relative)).ok();
        let page = |app: App| {
            let relative = match app.folder() {
                "" => "index.html".to_owned(),
                folder => format!("{folder}/index.html"),
            };
            read(&relative).unwrap_or_else(|| {
                tracing::warn!(app = ?app, "app not built: serving a placeholder page");
                NOT_BUILT.to_owned()
            })
        };
        let pages = App::ALL.map(page);
        let offline = read("approver/offline.html");
        // The pages name every hashed asset: a change anywhere changes the stamp.
        let mut digest = Sha256::new();
        for part in &pages {
            digest.update(part.as_bytes());
        }
        digest.update(offline.as_deref().unwrap_or_default().as_bytes());
        let stamp = hex::encode(&digest.finalize()[..8]);
        let service_worker = read("approver/sw.js").map(|js| js.replace(BUILD_PLACEHOLDER, &stamp));
        Self {
            pages,
            service_worker,
            offline,
        }
    }

    /// Every page, for the inline scripts' hashes of the content security policy.
    pub fn pages(&self) -> String {
        self.pages.concat() + self.offline.as_deref().unwrap_or_default()
    }

    fn page(&self, app: App) -> &str {
        let index = App::ALL.iter().position(|a| *a == app).unwrap_or_default();
        &self.pages[index]
    }
}

pub fn router<S: Clone + Send + Sync + 'static>(dist: &Path, build: Build) -> Router<S> {
    let pages = build.clone();
    // Client-side routes: the page of the app that serves the address.
    let index = move |req: Request| {
        let html = pages.page(App::of_path(req.uri().path())).to_owned();
        async move { ([(header::CACHE_CONTROL, "no-cache")], Html(html)).into_response() }
    };
    // Precompressed files (scripts/build.sh) are sent as they are when the browser accepts them.
    let assets = ServeDir::new(dist)
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip();
    let mut router = Router::new()
        .route("/", get(index.clone()))
        .route("/index.html", get(index.clone()));
    if let Some(js) = build.service_worker {
        router = router.route(
            "/sw.js",
            get(move || {
                let js = js.clone();
                async move {
                    (
                        [
                            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                            // Browsers check the worker at each visit: never a stale one.
                            (header::CACHE_CONTROL, "no-cache"),
                        ],
                        js,
                    )
                        .into_response()
                }
            }),
        );
    }
    if let Some(html) = build.offline {
        router = router.route(
            "/offline.html",
            get(move || {
                let html = html.clone();
                async move { ([(header::CACHE_CONTROL, "no-cache")], Html(html)).into_response() }
            }),
        );
    }
    router
        .fallback_service(assets.fallback(get(index)))
        .layer(axum::middleware::from_fn(cache_policy))
}

/// Files whose name carries trunk's content hash never change: cache them for a year.
/// Everything else (manifest, icon, the page) is revalidated.
async fn cache_policy(req: Request, next: axum::middleware::Next) -> Response {
    let hashed = is_hashed(req.uri().path());
    let mut response = next.run(req).await;
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        let value = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

/// `vigie-frontend-bbcee04141d381f4_bg.wasm`: a 16-hex-digit hash after the last dash.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, h)| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The page served when an app has not been built (so the API still works in tests).
pub const NOT_BUILT: &str = "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Vigie</title></head>\
<body><p>L'application n'est pas construite : lancez <code>scripts/build.sh</code>.</p></body></html>";

#[cfg(test)]
mod tests {
    #[test]
    fn hashed_names() {
        assert!(super::is_hashed("/vigie-frontend-bbcee04141d381f4_bg.wasm"));
        assert!(super::is_hashed("/hall/hall-bbcee04141d381f4_bg.wasm"));
        assert!(super::is_hashed("/style-7eb4c80974af1b5e.css"));
        assert!(!super::is_hashed("/manifest.webmanifest"));
        assert!(!super::is_hashed("/icon.svg"));
        assert!(!super::is_hashed("/sw.js"));
    }
}
