//! What a browser says of itself, made readable for people ("Tablette (Chrome)").

use axum::http::{HeaderMap, header};

/// Guess a readable name from the browser, for terminals that did not give one.
pub fn describe(headers: &HeaderMap) -> String {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let device = if ua.contains("iPad") || ua.contains("Tablet") {
        "Tablette"
    } else if ua.contains("Mobile") {
        "Téléphone"
    } else {
        "Ordinateur"
    };
    let browser = if ua.contains("Firefox") {
        "Firefox"
    } else if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Chrome") {
        "Chrome"
    } else if ua.contains("Safari") {
        "Safari"
    } else {
        "navigateur"
    };
    format!("{device} ({browser})")
}
