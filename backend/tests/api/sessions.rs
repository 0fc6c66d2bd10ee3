use reqwest::StatusCode;
use vigie_backend::demo::JEAN_MARTIN_RPPS;
use vigie_shared::{ErrorCode, api::session::SessionState};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::helpers::{TestApp, api_error, ok_json};

async fn signed_in() -> TestApp {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    app
}

#[tokio::test]
async fn idle_limit_59_59_accepted_60_01_refused() {
    let app = signed_in().await;
    app.clock().advance(chrono::Duration::seconds(59 * 60 + 59));
    // Reading the state is not activity…
    ok_json::<SessionState>(app.get("/api/session").await).await;
    app.clock().advance(chrono::Duration::seconds(2));
    let err = api_error(app.get("/api/session").await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::SessionExpired);
}

/// A request the app makes on its own (marked by its header) is not activity: the idle limit
/// stays where it was. The same request without the header pushes it.
#[tokio::test]
async fn the_apps_own_requests_do_not_push_the_idle_limit() {
    for background in [true, false] {
        let app = signed_in().await;
        app.clock().advance(chrono::Duration::minutes(59));
        let mut request = app.client.get(app.url("/api/offline/review"));
        if background {
            request = request.header(vigie_shared::api::session::BACKGROUND_HEADER, "1");
        }
        let answer = request.send().await.expect("request");
        assert_eq!(answer.status(), StatusCode::OK, "background: {background}");
        app.clock().advance(chrono::Duration::minutes(2));
        let state = app.get("/api/session").await;
        if background {
            let err = api_error(state, StatusCode::UNAUTHORIZED).await;
            assert_eq!(err.code, ErrorCode::SessionExpired);
        } else {
            let state: SessionState = ok_json(state).await;
            assert!(state.idle_expires_at > app.clock().now() + chrono::Duration::minutes(55));
        }
    }
}

#[tokio::test]
async fn activity_pushes_the_idle_limit_but_not_the_absolute_one() {
    let app = signed_in().await;
    for _ in 0..4 {
        app.clock().advance(chrono::Duration::minutes(50));
        let state: SessionState = ok_json(
            app.post("/api/session/keep-alive", &serde_json::json!({}))
                .await,
        )
        .await;
        assert!(state.idle_expires_at <= state.absolute_expires_at);
    }
    // 200 minutes in: still fine; 4 h after sign-in the session closes whatever happens.
    app.clock().advance(chrono::Duration::minutes(41));
    let err = api_error(app.get("/api/session").await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::SessionExpired);
}

#[tokio::test]
async fn logout_ends_the_session_for_good() {
    let app = signed_in().await;
    // Keep the cookie to replay it after logout.
    let cookie = app
        .client
        .get(app.url("/api/session"))
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(cookie, StatusCode::OK);
    let r = app
        .post("/api/session/logout", &serde_json::json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.get("/api/session").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_stolen_cookie_is_useless_after_logout() {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let response = app.sign_in_response(JEAN_MARTIN_RPPS, &mut key).await;
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let pair = set_cookie.split(';').next().expect("pair").to_owned();
    app.post("/api/session/logout", &serde_json::json!({}))
        .await;
    let replay = reqwest::Client::new()
        .get(app.url("/api/session"))
        .header("cookie", pair)
        .send()
        .await
        .expect("request");
    assert_eq!(
        api_error(replay, StatusCode::UNAUTHORIZED).await.code,
        ErrorCode::SessionExpired
    );
}

#[tokio::test]
async fn no_cookie_no_session() {
    let app = TestApp::spawn().await;
    assert_eq!(
        api_error(app.get("/api/session").await, StatusCode::UNAUTHORIZED)
            .await
            .code,
        ErrorCode::Unauthenticated
    );
    let r = app
        .client
        .get(app.url("/api/session"))
        .header("cookie", "vigie_session=forged")
        .send()
        .await
        .expect("request");
    assert_eq!(
        api_error(r, StatusCode::UNAUTHORIZED).await.code,
        ErrorCode::Unauthenticated
    );
}

/// "Is anyone signed in here?" never refuses: 204 for nobody (no cookie, a forged one, a
/// session ended), the session's state otherwise.
#[tokio::test]
async fn presence_answers_204_for_nobody_and_the_state_for_a_session() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/session/presence").await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.text().await.expect("body"), "");
    let r = app
        .client
        .get(app.url("/api/session/presence"))
        .header("cookie", "vigie_session=forged")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    let present: SessionState = ok_json(app.get("/api/session/presence").await).await;
    let current: SessionState = ok_json(app.get("/api/session").await).await;
    assert_eq!(present, current);
    assert!(!present.security_officer, "no role granted");

    // Expired: nobody any more, without a refusal.
    app.clock().advance(chrono::Duration::hours(5));
    let r = app.get("/api/session/presence").await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn mes_sessions_lists_and_ends_another_device_at_once() {
    use std::time::Duration;
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    // A second device signs in too.
    let tablet = app.device();
    let challenge: vigie_shared::api::passkey::AuthenticationChallenge = ok_json(
        tablet.post("/api/passkeys/authentication/start", &serde_json::json!({ "national_id": crate::helpers::national_id(JEAN_MARTIN_RPPS) })).await,
    )
    .await;
    use webauthn_authenticator_rs::WebauthnAuthenticator;
    let credential = key
        .do_authentication(app.base.clone(), challenge.options)
        .expect("signs");
    ok_json::<SessionState>(
        tablet
            .post(
                "/api/passkeys/authentication/finish",
                &vigie_shared::api::passkey::AuthenticationFinish {
                    ceremony_id: challenge.ceremony_id,
                    credential,
                },
            )
            .await,
    )
    .await;
    let mut stream = tablet.get("/api/session/events").await;
    assert_eq!(stream.status(), StatusCode::OK);

    let mine: Vec<vigie_shared::api::session::SessionSummary> =
        ok_json(app.get("/api/sessions").await).await;
    assert_eq!(mine.len(), 2);
    let other = mine
        .iter()
        .find(|s| !s.current)
        .expect("the tablet's session");
    let r = app
        .post(
            &format!("/api/sessions/{}/end", other.session_id),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // The tablet hears it at once, and is refused from then on.
    let ended = tokio::time::timeout(Duration::from_secs(1), async {
        let mut buf = String::new();
        loop {
            let chunk = stream.chunk().await.expect("stream").expect("open");
            buf.push_str(&String::from_utf8_lossy(&chunk));
            if buf.contains("session_ended") {
                return buf;
            }
        }
    })
    .await
    .expect("within 1 second");
    // The SSE `data:` line is one `LiveEvent`, read back with the SPA's own type.
    let data = ended
        .lines()
        .find_map(|l| l.strip_prefix("data:"))
        .expect("a data line");
    let event: vigie_shared::api::live::LiveEvent =
        serde_json::from_str(data.trim()).expect("a live event");
    let vigie_shared::api::live::LiveEvent::SessionEnded(why) = event else {
        panic!("session_ended, got {event:?}");
    };
    assert_eq!(why.reason.as_deref(), Some("ended_by_user"));
    assert_eq!(
        api_error(tablet.get("/api/session").await, StatusCode::UNAUTHORIZED)
            .await
            .code,
        ErrorCode::SessionExpired
    );
    // Someone else's session id: not found.
    let r = app
        .post(
            &format!("/api/sessions/{}/end", uuid::Uuid::new_v4()),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_mail_link_ce_n_est_pas_moi_ends_that_session() {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    let token = app.report_token().await;
    let r = app
        .device()
        .post(
            "/api/sessions/report",
            &serde_json::json!({ "token": token }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        api_error(app.get("/api/session").await, StatusCode::UNAUTHORIZED)
            .await
            .code,
        ErrorCode::SessionExpired
    );
    // Twice changes nothing more; a made-up token is unknown.
    let r = app
        .device()
        .post(
            "/api/sessions/report",
            &serde_json::json!({ "token": token }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    use sea_orm::EntityTrait;
    let incidents = vigie_backend::entities::incident::Entity::find()
        .all(&app.state.db)
        .await
        .expect("query");
    assert_eq!(incidents.len(), 1);
}

/// The "Ce n'est pas moi" link works for 7 days after the sign-in, not forever: a minute
/// before, it ends the session and opens an incident; a minute after, it is unknown.
#[tokio::test]
async fn the_ce_n_est_pas_moi_link_expires_after_seven_days() {
    use sea_orm::EntityTrait;
    for (after, accepted) in [
        (
            chrono::Duration::days(7) - chrono::Duration::minutes(1),
            true,
        ),
        (
            chrono::Duration::days(7) + chrono::Duration::minutes(1),
            false,
        ),
    ] {
        let app = TestApp::spawn().await;
        let mut key = SoftPasskey::new(true);
        app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
        app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
        let token = app.report_token().await;
        app.clock().advance(after);
        let r = app
            .device()
            .post(
                "/api/sessions/report",
                &serde_json::json!({ "token": token }),
            )
            .await;
        let incidents = vigie_backend::entities::incident::Entity::find()
            .all(&app.state.db)
            .await
            .expect("query");
        if accepted {
            assert_eq!(r.status(), StatusCode::NO_CONTENT);
            assert_eq!(incidents.len(), 1);
        } else {
            assert_eq!(
                api_error(r, StatusCode::NOT_FOUND).await.code,
                ErrorCode::NotFound
            );
            assert!(incidents.is_empty());
        }
    }
}
