//! Security headers on every answer. The CSP allows only our own scripts, plus the hashes of
//! the inline bootstrap scripts trunk writes into index.html (computed at start from the file).

use axum::http::{HeaderName, HeaderValue, header};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

/// `'sha256-…'` sources for every inline `<script>` of the page.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_start = tag_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        let body = &after[body_start..body_start + close];
        if !tag.contains(" src=") && !body.trim().is_empty() {
            hashes.push(format!(
                "'sha256-{}'",
                STANDARD.encode(Sha256::digest(body.as_bytes()))
            ));
        }
        rest = &after[body_start + close..];
    }
    hashes
}

pub fn content_security_policy(script_hashes: &[String]) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self'; \
         img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'; manifest-src 'self'",
        script_hashes.join(" ")
    )
}

/// The headers of every answer; over HTTPS (the public URL says so: TLS ends at the proxy),
/// browsers are also told to never use plain HTTP for this host again (HSTS, two years).
pub fn layers(csp: &str, https: bool) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(self), microphone=(), geolocation=()",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    let mut layers: Vec<_> = fixed
        .into_iter()
        .map(|(name, value)| {
            SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
        })
        .collect();
    if https {
        layers.push(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ));
    }
    if let Ok(value) = HeaderValue::from_str(csp) {
        layers.push(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            value,
        ));
    }
    layers
}

/// The origin the SPA is served from, as browsers write it in `Origin`.
pub fn origin_of(public_url: &url::Url) -> String {
    public_url.origin().ascii_serialization()
}

/// A request that changes something (any method but GET, HEAD, OPTIONS) is accepted only from
/// Vigie's own pages: `Sec-Fetch-Site: same-origin`, or, from a browser that does not send it,
/// an `Origin` equal to the public URL's. Cookies are `SameSite=Strict`, but a sibling
/// subdomain is "same-site": this is what tells it apart. A request with neither header is not
/// a page of Vigie either. The test-only routes (absent in production) are left out.
pub fn same_origin_only(
    origin: String,
) -> impl Fn(
    axum::extract::Request,
    axum::middleware::Next,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>>
+ Clone {
    use axum::{http::Method, response::IntoResponse};
    move |req, next| {
        let origin = origin.clone();
        Box::pin(async move {
            let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            let path = req.uri().path();
            if changes && path.starts_with("/api/") && !test_only(path) {
                let h = req.headers();
                let header = |name: &str| h.get(name).and_then(|v| v.to_str().ok());
                let allowed = match (header("sec-fetch-site"), header("origin")) {
                    (Some(site), _) => site == "same-origin",
                    (None, Some(o)) => o == origin,
                    (None, None) => false,
                };
                if !allowed {
                    return crate::error::AppError::code(vigie_shared::ErrorCode::CrossOrigin)
                        .into_response();
                }
            }
            next.run(req).await
        })
    }
}

/// The test-only routes, driven by test scripts rather than pages (test builds only).
#[cfg(feature = "testing")]
fn test_only(path: &str) -> bool {
    path.starts_with("/api/testing/")
}

#[cfg(not(feature = "testing"))]
fn test_only(_: &str) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts() {
        let html = r#"<script src="/a.js"></script><script type="module">init()</script>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        assert_eq!(
            hashes[0],
            format!("'sha256-{}'", STANDARD.encode(Sha256::digest(b"init()")))
        );
    }
}
