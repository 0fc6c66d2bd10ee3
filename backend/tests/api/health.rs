use reqwest::StatusCode;
use vigie_shared::api::health::{DatabaseState, Health};

use crate::helpers::{TestApp, ok_json};

#[tokio::test]
async fn health_reports_database_and_version() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/health").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let health: Health = ok_json(response).await;
    assert_eq!(health.status, "ok");
    assert_eq!(health.database, DatabaseState::Up);
    assert_eq!(health.version, env!("CARGO_PKG_VERSION"));
    let expected = if std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(health.database_backend, expected);
}

#[tokio::test]
async fn health_says_degraded_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.state.db.clone().close().await.expect("close pool");
    let response = app.get("/api/health").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health: Health = response.json().await.expect("json");
    assert_eq!(health.database, DatabaseState::Down);
    assert_eq!(health.status, "degraded");
}

#[tokio::test]
async fn security_headers_are_on_every_answer() {
    let app = TestApp::spawn().await;
    for path in ["/api/health", "/", "/connexion"] {
        let response = app.get(path).await;
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        let csp = h["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY");
    }
}

#[tokio::test]
async fn spa_routes_fall_back_to_the_page() {
    let app = TestApp::spawn().await;
    let response = app.get("/une/route/du/client").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("<html lang=\"fr\"")
    );
}

#[tokio::test]
async fn answers_are_compressed_when_asked() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn the_date_header_follows_the_server_clock() {
    let app = TestApp::spawn().await;
    app.clock().advance(chrono::Duration::hours(2));
    let response = app.get("/api/health").await;
    let date = response.headers()["date"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let parsed =
        chrono::DateTime::parse_from_rfc2822(&date.replace("GMT", "+0000")).expect("http date");
    let ahead = parsed.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(ahead > chrono::Duration::minutes(119), "{date}");
}

#[tokio::test]
async fn precompressed_assets_are_sent_as_they_are_with_the_right_cache_policy() {
    let dist = tempfile::tempdir().expect("dir");
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><html lang=\"fr\"><body></body></html>",
    )
    .expect("write");
    std::fs::write(
        dist.path().join("app-0123456789abcdef.js"),
        "console.log('vigie')",
    )
    .expect("write");
    std::fs::write(
        dist.path().join("app-0123456789abcdef.js.br"),
        b"pretend-brotli",
    )
    .expect("write");
    std::fs::write(dist.path().join("manifest.webmanifest"), "{}").expect("write");
    let path = dist.path().to_owned();
    let app = TestApp::spawn_with(move |s| s.dist_dir = path).await;
    let r = app
        .client
        .get(app.url("/app-0123456789abcdef.js"))
        .header("accept-encoding", "br")
        .send()
        .await
        .expect("request");
    assert_eq!(r.headers()["content-encoding"], "br");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .contains("javascript")
    );
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("immutable")
    );
    assert_eq!(r.bytes().await.expect("body").as_ref(), b"pretend-brotli");
    let r = app.get("/manifest.webmanifest").await;
    assert_eq!(
        r.headers()["cache-control"],
        "no-cache",
        "unhashed files are revalidated"
    );
}
