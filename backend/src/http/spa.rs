//! Serves the built SPA: hashed assets with a long cache, and index.html for every other path
//! that is not under /api (client-side routes).

use std::path::Path;

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{Html, IntoResponse},
    routing::get,
};
use tower_http::services::ServeDir;

pub fn router<S: Clone + Send + Sync + 'static>(dist: &Path, index_html: String) -> Router<S> {
    let index = move || {
        let html = index_html.clone();
        async move { ([(header::CACHE_CONTROL, "no-cache")], Html(html)).into_response() }
    };
    // Precompressed files (scripts/build.sh) are sent as they are when the browser accepts them.
    let assets = ServeDir::new(dist)
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .route("/", get(index.clone()))
        .route("/index.html", get(index.clone()))
        .fallback_service(assets.fallback(get(index)))
        .layer(axum::middleware::from_fn(cache_policy))
}

/// Files whose name carries trunk's content hash never change: cache them for a year.
/// Everything else (manifest, icon, the page) is revalidated.
async fn cache_policy(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
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

/// The page served when the SPA has not been built (so the API still works in tests).
pub const NOT_BUILT: &str = "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Vigie</title></head>\
<body><p>L'application n'est pas construite : lancez <code>trunk build --release</code>.</p></body></html>";

#[cfg(test)]
mod tests {
    #[test]
    fn hashed_names() {
        assert!(super::is_hashed("/vigie-frontend-bbcee04141d381f4_bg.wasm"));
        assert!(super::is_hashed("/style-7eb4c80974af1b5e.css"));
        assert!(!super::is_hashed("/manifest.webmanifest"));
        assert!(!super::is_hashed("/icon.svg"));
    }
}
