//! Approver app activation: e-mailed link + SMS code, or a 90-second QR from a passkey session.

use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::json;
use vigie_backend::{demo::JEAN_MARTIN_RPPS, entities::sms_outbox};
use vigie_shared::{
    ErrorCode,
    api::activation::{ActivationGranted, ActivationQr, ActivationStarted},
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::helpers::{TestApp, api_error, national_id, ok_json};

pub fn link_token(body: &str) -> String {
    let start = body.find("#lien=").expect("link in the mail") + "#lien=".len();
    body[start..]
        .split_whitespace()
        .next()
        .expect("token")
        .to_owned()
}

pub fn sms_code(body: &str) -> String {
    body.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_digit()))
        .find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()))
        .expect("code")
        .to_owned()
}

#[tokio::test]
async fn link_and_sms_code_both_needed_then_a_passkey() {
    let app = TestApp::spawn().await;
    let phone = app.device();
    let started: ActivationStarted = ok_json(
        phone
            .post(
                "/api/activation",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
            )
            .await,
    )
    .await;
    // The same answer for an identifier nobody holds.
    let unknown: ActivationStarted = ok_json(
        phone
            .post(
                "/api/activation",
                &json!({ "national_id": national_id("10022222227") }),
            )
            .await,
    )
    .await;
    assert_eq!(started, unknown);
    assert!(
        started.message.contains("annuaire"),
        "says how to update one's details"
    );

    let mail = app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.subject.contains("activation"))
        .expect("activation mail");
    assert_eq!(mail.recipient, "jean.martin@demo.vigie.example");
    let sms = app.sms_outbox().await;
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].recipient, "+33612345678");
    let token = link_token(&mail.body);
    let code = sms_code(&sms[0].body);
    assert!(
        !mail.body.contains(&code),
        "the code never travels with the link"
    );

    // The link alone, or with a wrong code, gives nothing.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = phone
        .post(
            "/api/activation/verify",
            &json!({ "link_token": token, "sms_code": wrong }),
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::WrongCode
    );
    let granted: ActivationGranted = ok_json(
        phone
            .post(
                "/api/activation/verify",
                &json!({ "link_token": token, "sms_code": code }),
            )
            .await,
    )
    .await;
    // Used once only.
    let r = phone
        .post(
            "/api/activation/verify",
            &json!({ "link_token": token, "sms_code": code }),
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::EnrolmentInvalid
    );

    // The enrolment token creates the passkey; the phone becomes an approver.
    let r = phone
        .post(
            "/api/passkeys/registration/start",
            &json!({ "enrolment_token": granted.enrolment_token }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn activation_expires_after_fifteen_minutes() {
    let app = TestApp::spawn().await;
    let phone = app.device();
    ok_json::<ActivationStarted>(
        phone
            .post(
                "/api/activation",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
            )
            .await,
    )
    .await;
    let mail = app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.subject.contains("activation"))
        .expect("mail");
    let sms = app.sms_outbox().await;
    app.clock().advance(chrono::Duration::minutes(16));
    let r = phone
        .post(
            "/api/activation/verify",
            &json!({ "link_token": link_token(&mail.body), "sms_code": sms_code(&sms[0].body) }),
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::EnrolmentInvalid
    );
}

#[tokio::test]
async fn at_most_three_activations_an_hour() {
    let app = TestApp::spawn().await;
    let phone = app.device();
    for _ in 0..5 {
        ok_json::<ActivationStarted>(
            phone
                .post(
                    "/api/activation",
                    &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
                )
                .await,
        )
        .await;
    }
    let sms = sms_outbox::Entity::find()
        .all(&app.state.db)
        .await
        .expect("query");
    assert_eq!(sms.len(), 3, "no flooding of the professional's phone");
}

#[tokio::test]
async fn qr_activation_from_a_passkey_session_lives_90_seconds() {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let r = app
        .client
        .post(app.url("/api/activation/qr"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        api_error(r, StatusCode::UNAUTHORIZED).await.code,
        ErrorCode::Unauthenticated
    );
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    let qr: ActivationQr = ok_json(
        app.client
            .post(app.url("/api/activation/qr"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert!(qr.qr_svg.contains("<svg"));
    assert!((qr.expires_at - app.state.now()).num_seconds() <= 90);
    let token = qr.link.split("#jeton=").nth(1).expect("token").to_owned();
    app.clock().advance(chrono::Duration::seconds(91));
    let r = app
        .device()
        .post(
            "/api/passkeys/registration/start",
            &json!({ "enrolment_token": token }),
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::EnrolmentInvalid
    );
}
