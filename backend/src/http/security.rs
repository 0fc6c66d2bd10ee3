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

pub fn layers(csp: &str) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
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
    if let Ok(value) = HeaderValue::from_str(csp) {
        layers.push(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            value,
        ));
    }
    layers
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
