//! Serves the built SPA: hashed assets with a long cache, and index.html for every other path
//! that is not under /api (client-side routes).

use std::path::Path;

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{Html, IntoResponse},
    routing::get,
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

pub fn router<S: Clone + Send + Sync + 'static>(dist: &Path, index_html: String) -> Router<S> {
    let index = move || {
        let html = index_html.clone();
        async move { ([(header::CACHE_CONTROL, "no-cache")], Html(html)).into_response() }
    };
    let assets = ServeDir::new(dist).append_index_html_on_directories(false);
    Router::new()
        .route("/", get(index.clone()))
        .route("/index.html", get(index.clone()))
        .fallback_service(
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ))
                .service(assets.fallback(get(index))),
        )
}

/// The page served when the SPA has not been built (so the API still works in tests).
pub const NOT_BUILT: &str = "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Vigie</title></head>\
<body><p>L'application n'est pas construite : lancez <code>trunk build --release</code>.</p></body></html>";
