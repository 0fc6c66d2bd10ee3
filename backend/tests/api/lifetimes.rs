//! Every kind of session closes at its limits, each tested on both sides: one second before,
//! the session answers; one second after, it is `session_expired`. Idle (1 h without activity;
//! reading the state is not activity) and absolute (4 h after sign-in whatever the activity),
//! for a professional, a structure account and a delegated session.

use chrono::Duration;
use reqwest::StatusCode;
use vigie_backend::demo::JEAN_MARTIN_RPPS;
use vigie_shared::{ErrorCode, api::session::SessionState};

use crate::helpers::{Device, TestApp, api_error, ok_json};

async fn state(device: &Device) -> SessionState {
    ok_json(device.get("/api/session").await).await
}

async fn expired(device: &Device) {
    assert_eq!(
        api_error(device.get("/api/session").await, StatusCode::UNAUTHORIZED)
            .await
            .code,
        ErrorCode::SessionExpired
    );
}

/// The limits a fresh session announces: 4 h in all from its start, 1 h idle from its last
/// activity (a structure account's SMS code, typed after the session started, is one).
async fn fresh_limits(app: &TestApp, device: &Device) -> SessionState {
    let s = state(device).await;
    assert_eq!(s.absolute_expires_at - s.started_at, Duration::minutes(240));
    let idle = s.idle_expires_at - s.started_at;
    assert!(
        idle >= Duration::minutes(60) && idle <= Duration::minutes(61),
        "{idle}"
    );
    assert!(s.idle_expires_at - app.state.now() <= Duration::minutes(60));
    s
}

async fn idle_on_both_sides(app: &TestApp, device: &Device) {
    let s = fresh_limits(app, device).await;
    app.clock()
        .advance(s.idle_expires_at - app.state.now() - Duration::seconds(1));
    state(device).await;
    app.clock().advance(Duration::seconds(2));
    expired(device).await;
}

async fn absolute_on_both_sides(app: &TestApp, device: &Device) {
    let end = fresh_limits(app, device).await.absolute_expires_at;
    // Active every 50 minutes: the idle limit never comes.
    while end - app.state.now() > Duration::minutes(50) {
        app.clock().advance(Duration::minutes(50));
        let s: SessionState = ok_json(
            device
                .post("/api/session/keep-alive", &serde_json::json!({}))
                .await,
        )
        .await;
        assert_eq!(
            s.absolute_expires_at, end,
            "activity never moves the absolute limit"
        );
    }
    app.clock()
        .advance(end - app.state.now() - Duration::seconds(1));
    state(device).await;
    app.clock().advance(Duration::seconds(2));
    expired(device).await;
}

async fn professional() -> (TestApp, Device) {
    let app = TestApp::spawn().await;
    let (device, _key) = app.professional_device(JEAN_MARTIN_RPPS).await;
    (app, device)
}

async fn structure_account() -> (TestApp, Device) {
    let app = TestApp::spawn().await;
    let device = crate::delegation::manager(&app).await;
    (app, device)
}

async fn delegated() -> (TestApp, Device) {
    let mut scene = crate::delegation::scene().await;
    scene.delegated_session().await;
    (scene.app, scene.tablet)
}

#[tokio::test]
async fn a_professional_session_idles_out_at_one_hour() {
    let (app, device) = professional().await;
    idle_on_both_sides(&app, &device).await;
}

#[tokio::test]
async fn a_professional_session_ends_at_four_hours() {
    let (app, device) = professional().await;
    absolute_on_both_sides(&app, &device).await;
}

#[tokio::test]
async fn a_structure_account_session_idles_out_at_one_hour() {
    let (app, device) = structure_account().await;
    idle_on_both_sides(&app, &device).await;
}

#[tokio::test]
async fn a_structure_account_session_ends_at_four_hours() {
    let (app, device) = structure_account().await;
    absolute_on_both_sides(&app, &device).await;
}

#[tokio::test]
async fn a_delegated_session_idles_out_at_one_hour() {
    let (app, device) = delegated().await;
    idle_on_both_sides(&app, &device).await;
}

#[tokio::test]
async fn a_delegated_session_ends_at_four_hours() {
    let (app, device) = delegated().await;
    absolute_on_both_sides(&app, &device).await;
}
