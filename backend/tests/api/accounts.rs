//! Structure password accounts: password, SMS code, expiry, history, lockout; and the rule
//! that nothing past the sign-in opens before the second factor.

use chrono::Duration;
use reqwest::{Response, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use vigie_backend::{
    demo::{CENTRE_ACCOUNT_MOBILE, CENTRE_ACCOUNT_PASSWORD, CENTRE_FINESS, JEAN_MARTIN_RPPS},
    entities::structure_account,
};
use vigie_shared::{
    ErrorCode,
    api::{
        account::AccountProfile,
        session::{PrincipalKind, SessionStage, SessionState},
    },
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::helpers::{Device, TestApp, api_error, ok_json};

const NEW_PASSWORD: &str = "girafe orange sous la pluie 47";

fn session_cookie(r: &Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("vigie_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie is set")
        .to_owned()
}

async fn last_sms_code(app: &TestApp) -> String {
    app.last_sms_code(CENTRE_ACCOUNT_MOBILE).await
}

pub async fn password_step(device: &Device, password: &str) -> Response {
    device
        .post(
            "/api/accounts/sign-in",
            &json!({ "identifier": CENTRE_FINESS, "password": password }),
        )
        .await
}

/// Password then SMS code: a fully signed-in structure account.
async fn signed_in(app: &TestApp, password: &str) -> (Device, SessionState) {
    let device = app.device();
    ok_json::<SessionState>(password_step(&device, password).await).await;
    let code = last_sms_code(app).await;
    let state = ok_json(
        device
            .post("/api/accounts/second-factor", &json!({ "code": code }))
            .await,
    )
    .await;
    (device, state)
}

#[tokio::test]
async fn password_then_sms_code_then_the_account_may_act() {
    let app = TestApp::spawn().await;
    let device = app.device();
    let r = password_step(&device, CENTRE_ACCOUNT_PASSWORD).await;
    let first_cookie = session_cookie(&r);
    let state: SessionState = ok_json(r).await;
    assert_eq!(state.kind, PrincipalKind::StructureAccount);
    assert_eq!(state.stage, SessionStage::SecondFactor);
    assert_eq!(state.identifier, CENTRE_FINESS);

    // Before the code, nothing but the code (and the session's own state).
    for path in ["/api/accounts/me", "/api/sessions"] {
        let err = api_error(device.get(path).await, StatusCode::FORBIDDEN).await;
        assert_eq!(err.code, ErrorCode::SecondFactorRequired, "{path}");
    }
    ok_json::<SessionState>(device.get("/api/session").await).await;

    let code = last_sms_code(&app).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let err = api_error(
        device
            .post("/api/accounts/second-factor", &json!({ "code": wrong }))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::WrongCode);

    let r = device
        .post("/api/accounts/second-factor", &json!({ "code": code }))
        .await;
    let second_cookie = session_cookie(&r);
    assert_ne!(first_cookie, second_cookie, "the session id rotates");
    let state: SessionState = ok_json(r).await;
    assert_eq!(state.stage, SessionStage::Active);

    let profile: AccountProfile = ok_json(device.get("/api/accounts/me").await).await;
    assert_eq!(profile.structure_finess, CENTRE_FINESS);
    assert_eq!(profile.structure_name, "Centre de vaccination de Melun");

    // The cookie from before the second factor no longer opens anything.
    let stale = reqwest::Client::new()
        .get(app.url("/api/session"))
        .header("cookie", first_cookie)
        .send()
        .await
        .expect("request");
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);

    // A code is single use.
    let err = api_error(
        device
            .post("/api/accounts/second-factor", &json!({ "code": code }))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(err.code, ErrorCode::Conflict);

    // Stored as Argon2id, never in clear.
    let row = structure_account::Entity::find()
        .filter(structure_account::Column::Identifier.eq(CENTRE_FINESS))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("demo account");
    assert!(row.password_hash.starts_with("$argon2id$"));
    assert!(!row.password_hash.contains(CENTRE_ACCOUNT_PASSWORD));
}

#[tokio::test]
async fn unknown_wrong_and_locked_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let device = app.device();
    let unknown = api_error(
        device
            .post(
                "/api/accounts/sign-in",
                &json!({ "identifier": "750712184", "password": CENTRE_ACCOUNT_PASSWORD }),
            )
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(unknown.code, ErrorCode::InvalidCredentials);
    for _ in 0..5 {
        let wrong = api_error(
            password_step(&device, "pas le bon mot de passe").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(
            wrong, unknown,
            "wrong password answers like an unknown identifier"
        );
    }
    // Locked for 15 minutes: even the right password gets the same answer.
    let locked = api_error(
        password_step(&device, CENTRE_ACCOUNT_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(locked, unknown);
    app.clock()
        .advance(Duration::minutes(15) + Duration::seconds(1));
    ok_json::<SessionState>(password_step(&device, CENTRE_ACCOUNT_PASSWORD).await).await;

    // An e-mail address is not an identifier.
    let err = api_error(
        device
            .post(
                "/api/accounts/sign-in",
                &json!({ "identifier": "centre@melun.fr", "password": "x" }),
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::InvalidIdentifier);
}

#[tokio::test]
async fn five_wrong_codes_or_a_late_code_end_the_attempt() {
    let app = TestApp::spawn().await;
    let device = app.device();
    ok_json::<SessionState>(password_step(&device, CENTRE_ACCOUNT_PASSWORD).await).await;
    let code = last_sms_code(&app).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        let err = api_error(
            device
                .post("/api/accounts/second-factor", &json!({ "code": wrong }))
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(err.code, ErrorCode::WrongCode);
    }
    let err = api_error(
        device
            .post("/api/accounts/second-factor", &json!({ "code": wrong }))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(err.code, ErrorCode::SessionExpired);
    // Even the right code cannot revive it.
    let err = api_error(
        device
            .post("/api/accounts/second-factor", &json!({ "code": code }))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(err.code, ErrorCode::SessionExpired);

    // A code typed after its 5 minutes is refused too.
    let late = app.device();
    ok_json::<SessionState>(password_step(&late, CENTRE_ACCOUNT_PASSWORD).await).await;
    let code = last_sms_code(&app).await;
    app.clock()
        .advance(Duration::minutes(5) + Duration::seconds(1));
    let err = api_error(
        late.post("/api/accounts/second-factor", &json!({ "code": code }))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(err.code, ErrorCode::SessionExpired);
}

#[tokio::test]
async fn an_expired_password_must_be_replaced_by_one_never_used() {
    let app = TestApp::spawn().await;
    app.clock()
        .advance(Duration::days(183) + Duration::minutes(1));
    let (device, state) = signed_in(&app, CENTRE_ACCOUNT_PASSWORD).await;
    assert_eq!(state.stage, SessionStage::PasswordChange);
    let err = api_error(device.get("/api/accounts/me").await, StatusCode::FORBIDDEN).await;
    assert_eq!(err.code, ErrorCode::PasswordChangeRequired);

    let change =
        |current: &str, new: &str| json!({ "current_password": current, "new_password": new });
    let err = api_error(
        device
            .post(
                "/api/accounts/password",
                &change(CENTRE_ACCOUNT_PASSWORD, "azertyuiop123"),
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::WeakPassword);
    let err = api_error(
        device
            .post(
                "/api/accounts/password",
                &change(CENTRE_ACCOUNT_PASSWORD, CENTRE_ACCOUNT_PASSWORD),
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::PasswordReused);
    let err = api_error(
        device
            .post(
                "/api/accounts/password",
                &change("pas le bon mot de passe", NEW_PASSWORD),
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::InvalidInput);

    let state: SessionState = ok_json(
        device
            .post(
                "/api/accounts/password",
                &change(CENTRE_ACCOUNT_PASSWORD, NEW_PASSWORD),
            )
            .await,
    )
    .await;
    assert_eq!(state.stage, SessionStage::Active);
    ok_json::<AccountProfile>(device.get("/api/accounts/me").await).await;

    // The old password no longer signs in, the new one does; going back to the old one is
    // refused (history).
    api_error(
        password_step(&app.device(), CENTRE_ACCOUNT_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let (device, state) = signed_in(&app, NEW_PASSWORD).await;
    assert_eq!(state.stage, SessionStage::Active);
    let err = api_error(
        device
            .post(
                "/api/accounts/password",
                &change(NEW_PASSWORD, CENTRE_ACCOUNT_PASSWORD),
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::PasswordReused);
}

#[tokio::test]
async fn accounts_and_professionals_stay_in_their_lanes() {
    let app = TestApp::spawn().await;
    let (account, _) = signed_in(&app, CENTRE_ACCOUNT_PASSWORD).await;
    // A structure account is not a professional: professional-only routes refuse it.
    for path in ["/api/security/incidents", "/api/activation/qr"] {
        let r = if path.ends_with("qr") {
            account.post(path, &json!({})).await
        } else {
            account.get(path).await
        };
        let err = api_error(r, StatusCode::FORBIDDEN).await;
        assert_eq!(err.code, ErrorCode::Forbidden, "{path}");
    }
    // Mes sessions lists the account's own session only.
    let sessions: Vec<serde_json::Value> = ok_json(account.get("/api/sessions").await).await;
    assert_eq!(sessions.len(), 1);

    // A professional is not a structure account.
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    let err = api_error(app.get("/api/accounts/me").await, StatusCode::FORBIDDEN).await;
    assert_eq!(err.code, ErrorCode::Forbidden);
    let mine: Vec<serde_json::Value> = ok_json(app.get("/api/sessions").await).await;
    assert_eq!(
        mine.len(),
        1,
        "the professional does not see the account's session"
    );
    // …and cannot end it.
    let other = sessions[0]["session_id"].as_str().expect("id");
    let err = api_error(
        app.post(&format!("/api/sessions/{other}/end"), &json!({}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(err.code, ErrorCode::NotFound);
}

/// Whoever else held the old password is out the moment it changes: the account's other
/// sessions end (their live stream says why), the one that changed it goes on.
#[tokio::test]
async fn a_password_change_ends_the_account_s_other_sessions() {
    let app = TestApp::spawn().await;
    let (intruder, _) = signed_in(&app, CENTRE_ACCOUNT_PASSWORD).await;
    let mut stream = intruder.get("/api/session/events").await;
    assert_eq!(stream.status(), StatusCode::OK);
    let (owner, _) = signed_in(&app, CENTRE_ACCOUNT_PASSWORD).await;
    let state: SessionState = ok_json(
        owner
            .post(
                "/api/accounts/password",
                &json!({ "current_password": CENTRE_ACCOUNT_PASSWORD, "new_password": NEW_PASSWORD }),
            )
            .await,
    )
    .await;
    assert_eq!(state.stage, SessionStage::Active);
    let err = api_error(
        intruder.get("/api/accounts/me").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(err.code, ErrorCode::SessionExpired);
    let mut text = String::new();
    while let Some(chunk) = tokio::time::timeout(std::time::Duration::from_secs(3), stream.chunk())
        .await
        .expect("the stream ends at once")
        .expect("stream")
    {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains(r#""reason":"password_changed""#), "{text}");
    ok_json::<AccountProfile>(owner.get("/api/accounts/me").await).await;
}
