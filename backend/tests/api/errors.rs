//! Bad input gets a JSON ApiError with a stable code and a French message: never a panic or a 500.

use reqwest::StatusCode;
use vigie_shared::ErrorCode;

use crate::helpers::{TestApp, api_error};

#[tokio::test]
async fn unknown_api_route_is_a_json_404() {
    let app = TestApp::spawn().await;
    for path in ["/api/nothing-here", "/api", "/api/health/extra"] {
        let err = api_error(app.get(path).await, StatusCode::NOT_FOUND).await;
        assert_eq!(err.code, ErrorCode::NotFound, "{path}");
        assert!(
            err.message.contains("n'existe pas"),
            "{path}: {}",
            err.message
        );
    }
    let err = api_error(
        app.post("/api/nothing", &serde_json::json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn malformed_json_is_a_400_with_a_french_message() {
    let app = TestApp::spawn().await;
    let r = app
        .post_raw(
            "/api/passkeys/authentication/start",
            "application/json",
            "{\"national_id\": ",
        )
        .await;
    let err = api_error(r, StatusCode::BAD_REQUEST).await;
    assert_eq!(err.code, ErrorCode::MalformedJson);
    assert!(err.message.contains("JSON"), "{}", err.message);
}

#[tokio::test]
async fn missing_field_and_wrong_type_name_the_field() {
    let app = TestApp::spawn().await;
    let err = api_error(
        app.post("/api/passkeys/authentication/start", &serde_json::json!({}))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(err.message.contains("national_id"), "{}", err.message);
    let err = api_error(
        app.post(
            "/api/passkeys/authentication/start",
            &serde_json::json!({ "national_id": 42 }),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(err.message.contains("national_id"), "{}", err.message);
}

#[tokio::test]
async fn malformed_identifier_is_refused_with_the_rule() {
    let app = TestApp::spawn().await;
    let err = api_error(
        app.post(
            "/api/passkeys/authentication/start",
            &serde_json::json!({ "national_id": "810003456781" }),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::InvalidIdentifier, "{}", err.message);
    assert!(err.message.contains("clé de contrôle"), "{}", err.message);
}

#[tokio::test]
async fn wrong_content_type_is_a_415() {
    let app = TestApp::spawn().await;
    let r = app
        .post_raw("/api/passkeys/authentication/start", "text/plain", "{}")
        .await;
    assert_eq!(
        api_error(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await.code,
        ErrorCode::UnsupportedMediaType
    );
}

#[tokio::test]
async fn oversized_body_is_a_413() {
    let app = TestApp::spawn().await;
    let big = format!("{{\"national_id\": \"{}\"}}", "8".repeat(200 * 1024));
    let r = app
        .post_raw(
            "/api/passkeys/authentication/start",
            "application/json",
            big,
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::PAYLOAD_TOO_LARGE).await.code,
        ErrorCode::PayloadTooLarge
    );
}

#[tokio::test]
async fn wrong_method_is_not_a_500() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .delete(app.url("/api/health"))
        .send()
        .await
        .expect("request");
    // axum's `Allow` is kept; the body is the API's JSON error, like every other 4xx.
    assert_eq!(
        r.headers()
            .get(reqwest::header::ALLOW)
            .and_then(|v| v.to_str().ok()),
        Some("GET,HEAD")
    );
    let err = api_error(r, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(err.code, ErrorCode::MethodNotAllowed);
    assert_eq!(err.message, ErrorCode::MethodNotAllowed.message());
}

#[tokio::test]
async fn test_clock_is_refused_outside_test_mode() {
    let app = TestApp::spawn_with(|s| s.testing = false).await;
    let r = app
        .post(
            "/api/testing/clock",
            &serde_json::json!({ "seconds": 3600 }),
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::NOT_FOUND).await.code,
        ErrorCode::NotFound
    );
    assert_eq!(app.clock().offset(), chrono::Duration::zero());
}

/// The test clock moves forward by at most 366 days in all; a huge or negative value is a
/// 400, and every later request still works.
#[tokio::test]
async fn the_test_clock_refuses_absurd_moves_and_the_server_keeps_working() {
    let app = TestApp::spawn().await;
    let year = 366 * 24 * 3600_i64;
    for seconds in [i64::MAX, i64::MIN, -1, year + 1] {
        let r = app
            .post(
                "/api/testing/clock",
                &serde_json::json!({ "seconds": seconds }),
            )
            .await;
        let e = api_error(r, StatusCode::BAD_REQUEST).await;
        assert_eq!(e.code, ErrorCode::InvalidInput, "{seconds}");
    }
    assert_eq!(app.clock().offset(), chrono::Duration::zero());
    // The whole allowance, once; then not a second more.
    let r = app
        .post(
            "/api/testing/clock",
            &serde_json::json!({ "seconds": year }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post("/api/testing/clock", &serde_json::json!({ "seconds": 1 }))
        .await;
    api_error(r, StatusCode::BAD_REQUEST).await;
    assert_eq!(app.clock().offset(), chrono::Duration::seconds(year));
    let r = app.get("/api/statistics/departments?dep=77").await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// An id in the address that is not a UUID, or a query parameter of the wrong type, is a JSON
/// 400 `invalid_input` in French — never axum's plain-text refusal.
#[tokio::test]
async fn a_malformed_id_or_query_in_the_address_is_a_json_400() {
    use webauthn_authenticator_rs::softpasskey::SoftPasskey;
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(vigie_backend::demo::JEAN_MARTIN_RPPS, &mut key)
        .await;
    app.sign_in(vigie_backend::demo::JEAN_MARTIN_RPPS, &mut key)
        .await;
    for path in [
        "/api/patients/not-a-uuid",
        "/api/patients/123/certificate",
        "/api/injections/%E2%80%AE/revisions",
        "/api/approvals/00000000-0000-0000-0000-00000000000g",
    ] {
        let r = app.get(path).await;
        assert_eq!(
            r.headers()["content-type"].to_str().expect("ascii"),
            "application/json",
            "{path}"
        );
        let e = api_error(r, StatusCode::BAD_REQUEST).await;
        assert_eq!(e.code, ErrorCode::InvalidInput, "{path}");
        assert!(e.message.contains("Identifiant invalide"), "{}", e.message);
    }
    let r = app
        .post("/api/sessions/pas-un-uuid/end", &serde_json::json!({}))
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::InvalidInput
    );
}
