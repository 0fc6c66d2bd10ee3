//! Every kind of session closes at its limits, each tested on both sides: one second before,
//! the session answers; one second after, it is `session_expired`. Idle (1 h without activity;
//! reading the state is not activity) and absolute (4 h after sign-in whatever the activity),
//! for a professional, a structure account and a delegated session.
//!
//! Every single-use secret, likewise, works one second before the end of its life and is
//! refused one second after it (where one side is already tested elsewhere at the exact
//! boundary, only the other side is here; its doc comment says where).

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;
use vigie_backend::demo::{
    CENTRE_ACCOUNT_MOBILE, CENTRE_ACCOUNT_PASSWORD, CENTRE_FINESS, JEAN_MARTIN_RPPS,
};
use vigie_shared::{
    ErrorCode,
    api::{
        activation::{ActivationGranted, ActivationQr},
        approval::{
            ApprovalChallenge, ApprovalConfirm, ApprovalCreated, ApprovalState, ApprovalStatus,
        },
        delegation::StaffEnrolment,
        passkey::{RegisteredPasskey, RegistrationChallenge, RegistrationFinish},
        session::{PrincipalKind, SessionStage, SessionState},
    },
};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};

use crate::helpers::{Device, TestApp, api_error, national_id, ok_json};

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

// ---- Single-use secrets ----
//
// The server clock runs on from real time: `issued` is read on it just before a secret is
// issued when the test wants "just before its end" (the secret lives at least until
// `issued + lifetime`), just after when it wants "just after its end" (it is dead by then).

const SECOND: Duration = Duration::seconds(1);

/// Moves the server clock forward to `at`.
fn move_to(app: &TestApp, at: DateTime<Utc>) {
    let by = at - app.state.now();
    assert!(by > Duration::zero(), "the clock only moves forward ({by})");
    app.clock().advance(by);
}

/// A secret's end as the server announced it, checked to be `lifetime` after its issue (done
/// between `before` and `after` on the server clock).
fn ends_after(
    lifetime: Duration,
    (before, after): (DateTime<Utc>, DateTime<Utc>),
    expires_at: DateTime<Utc>,
) -> DateTime<Utc> {
    assert!(
        before + lifetime <= expires_at && expires_at <= after + lifetime,
        "{expires_at} is not {lifetime} after [{before}, {after}]"
    );
    expires_at
}

/// Starts a passkey creation on `device` with an enrolment token (`path` names the
/// professional's or the staff's ceremony) and has the key answer it; not yet sent.
async fn answered_registration(
    app: &TestApp,
    device: &Device,
    path: &str,
    token: &str,
    key: &mut SoftPasskey,
) -> RegistrationFinish {
    let challenge: RegistrationChallenge = ok_json(
        device
            .post(
                &format!("{path}/start"),
                &json!({ "enrolment_token": token }),
            )
            .await,
    )
    .await;
    RegistrationFinish {
        ceremony_id: challenge.ceremony_id,
        credential: key
            .do_registration(app.base.clone(), challenge.options)
            .expect("soft passkey registers"),
        label: Some("Téléphone".into()),
    }
}

const PROFESSIONAL_KEYS: &str = "/api/passkeys/registration";
const STAFF_KEYS: &str = "/api/delegation/passkeys/registration";

async fn registration_refused(device: &Device, path: &str, token: &str) {
    let r = device
        .post(
            &format!("{path}/start"),
            &json!({ "enrolment_token": token }),
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::EnrolmentInvalid
    );
}

/// Starts an activation for Jean Martin: the link token of the mail, the code of the SMS.
async fn activation(app: &TestApp, phone: &Device) -> (String, String) {
    ok_json::<serde_json::Value>(
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
        .rev()
        .find(|m| m.subject.contains("activation"))
        .expect("activation mail");
    let sms = app.sms_outbox().await.pop().expect("activation SMS");
    (
        crate::activation::link_token(&mail.body),
        crate::activation::sms_code(&sms.body),
    )
}

async fn verify(phone: &Device, (link, code): &(String, String)) -> reqwest::Response {
    phone
        .post(
            "/api/activation/verify",
            &json!({ "link_token": link, "sms_code": code }),
        )
        .await
}

/// The mailed link and its SMS code are one activation with one limit, 15 minutes: the pair
/// works until then, and grants a live enrolment token; after, even the right pair is refused.
#[tokio::test]
async fn an_activation_link_and_its_sms_code_work_for_fifteen_minutes() {
    let app = TestApp::spawn().await;
    let phone = app.device();
    let issued = app.state.now();
    let pair = activation(&app, &phone).await;
    move_to(&app, issued + Duration::minutes(15) - SECOND);
    let granted: ActivationGranted = ok_json(verify(&phone, &pair).await).await;
    ok_json::<RegistrationChallenge>(
        phone
            .post(
                "/api/passkeys/registration/start",
                &json!({ "enrolment_token": granted.enrolment_token }),
            )
            .await,
    )
    .await;

    let pair = activation(&app, &phone).await;
    let issued = app.state.now();
    move_to(&app, issued + Duration::minutes(15) + SECOND);
    assert_eq!(
        api_error(verify(&phone, &pair).await, StatusCode::BAD_REQUEST)
            .await
            .code,
        ErrorCode::EnrolmentInvalid
    );
}

/// The QR a passkey session shows lets a phone create its passkey until its 90th second.
/// (One second after: `activation::qr_activation_from_a_passkey_session_lives_90_seconds`.)
#[tokio::test]
async fn an_activation_qr_still_works_at_89_seconds() {
    let app = TestApp::spawn().await;
    let mut computer_key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut computer_key)
        .await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut computer_key).await;
    let before = app.state.now();
    let qr: ActivationQr = ok_json(
        app.client
            .post(app.url("/api/activation/qr"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    let end = ends_after(
        Duration::seconds(90),
        (before, app.state.now()),
        qr.expires_at,
    );
    let token = qr.link.split("#jeton=").nth(1).expect("token").to_owned();
    move_to(&app, end - SECOND);
    let phone = app.device();
    let mut key = SoftPasskey::new(true);
    let finish = answered_registration(&app, &phone, PROFESSIONAL_KEYS, &token, &mut key).await;
    let r = phone
        .post(&format!("{PROFESSIONAL_KEYS}/finish"), &finish)
        .await;
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .starts_with("vigie_approver="),
        "the phone becomes an approver"
    );
    assert_eq!(ok_json::<RegisteredPasskey>(r).await.label, "Téléphone");
}

/// An enrolment token (the passkey creation link) opens a passkey creation for 30 minutes:
/// both the start and the finish check the token's end.
#[tokio::test]
async fn an_enrolment_token_works_for_thirty_minutes() {
    let app = TestApp::spawn().await;
    let device = app.device();
    let issued = app.state.now();
    let token = app.enrolment_token(JEAN_MARTIN_RPPS).await;
    move_to(&app, issued + Duration::minutes(30) - SECOND);
    let finish = answered_registration(
        &app,
        &device,
        PROFESSIONAL_KEYS,
        &token,
        &mut SoftPasskey::new(true),
    )
    .await;
    let registered: RegisteredPasskey = ok_json(
        device
            .post(&format!("{PROFESSIONAL_KEYS}/finish"), &finish)
            .await,
    )
    .await;
    assert_eq!(registered.label, "Téléphone");

    // Begun a second before the end, finished a second after: refused.
    let issued = app.state.now();
    let token = app.enrolment_token(JEAN_MARTIN_RPPS).await;
    let after = app.state.now();
    move_to(&app, issued + Duration::minutes(30) - SECOND);
    let finish = answered_registration(
        &app,
        &device,
        PROFESSIONAL_KEYS,
        &token,
        &mut SoftPasskey::new(true),
    )
    .await;
    move_to(&app, after + Duration::minutes(30) + SECOND);
    let r = device
        .post(&format!("{PROFESSIONAL_KEYS}/finish"), &finish)
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::EnrolmentInvalid
    );

    let token = app.enrolment_token(JEAN_MARTIN_RPPS).await;
    let issued = app.state.now();
    move_to(&app, issued + Duration::minutes(30) + SECOND);
    registration_refused(&device, PROFESSIONAL_KEYS, &token).await;
}

/// The manager (signed in on `manager`) hands out Marie Dupont's passkey link.
async fn staff_link(manager: &Device) -> StaffEnrolment {
    crate::delegation::marie_link(manager).await.2
}

/// The manager's link for a staff member lives 24 h, and it is the ceremony's finish that
/// uses it up: a creation started a minute before the end succeeds if finished one second
/// before, fails if finished one second after; a new start after the end is refused too.
#[tokio::test]
async fn a_staff_passkey_link_works_for_twenty_four_hours() {
    let app = TestApp::spawn().await;
    let tablet = app.device();
    for accepted in [true, false] {
        // Signed in anew each time: the manager's session does not last a day.
        let manager = crate::delegation::manager(&app).await;
        let before = app.state.now();
        let link = staff_link(&manager).await;
        let end = ends_after(
            Duration::hours(24),
            (before, app.state.now()),
            link.expires_at,
        );
        move_to(&app, end - Duration::minutes(1));
        let finish = answered_registration(
            &app,
            &tablet,
            STAFF_KEYS,
            &link.enrolment_token,
            &mut SoftPasskey::new(true),
        )
        .await;
        if accepted {
            move_to(&app, end - SECOND);
            let registered: RegisteredPasskey =
                ok_json(tablet.post(&format!("{STAFF_KEYS}/finish"), &finish).await).await;
            assert_eq!(registered.label, "Téléphone");
        } else {
            move_to(&app, end + SECOND);
            let r = tablet.post(&format!("{STAFF_KEYS}/finish"), &finish).await;
            assert_eq!(
                api_error(r, StatusCode::BAD_REQUEST).await.code,
                ErrorCode::EnrolmentInvalid
            );
            registration_refused(&tablet, STAFF_KEYS, &link.enrolment_token).await;
        }
    }
}

/// A passkey creation ceremony lives 120 s on the server (the browser's timeout).
#[tokio::test]
async fn a_registration_ceremony_lives_two_minutes() {
    let app = TestApp::spawn().await;
    let device = app.device();
    let token = app.enrolment_token(JEAN_MARTIN_RPPS).await;
    let issued = app.state.now();
    let finish = answered_registration(
        &app,
        &device,
        PROFESSIONAL_KEYS,
        &token,
        &mut SoftPasskey::new(true),
    )
    .await;
    move_to(&app, issued + Duration::seconds(120) - SECOND);
    let registered: RegisteredPasskey = ok_json(
        device
            .post(&format!("{PROFESSIONAL_KEYS}/finish"), &finish)
            .await,
    )
    .await;
    assert_eq!(registered.label, "Téléphone");

    let token = app.enrolment_token(JEAN_MARTIN_RPPS).await;
    let finish = answered_registration(
        &app,
        &device,
        PROFESSIONAL_KEYS,
        &token,
        &mut SoftPasskey::new(true),
    )
    .await;
    let issued = app.state.now();
    move_to(&app, issued + Duration::seconds(120) + SECOND);
    let r = device
        .post(&format!("{PROFESSIONAL_KEYS}/finish"), &finish)
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::CeremonyExpired
    );
}

/// A sign-in ceremony answered at its 119th second still signs in.
/// (One second after: `passkeys::expired_ceremony_is_refused`.)
#[tokio::test]
async fn a_sign_in_ceremony_still_works_at_119_seconds() {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let issued = app.state.now();
    let finish = app
        .signed_challenge(&app.client, JEAN_MARTIN_RPPS, &mut key)
        .await;
    move_to(&app, issued + Duration::seconds(120) - SECOND);
    let s: SessionState = ok_json(
        app.post("/api/passkeys/authentication/finish", &finish)
            .await,
    )
    .await;
    assert_eq!(s.display_name, "Dr Jean Martin");
    assert_eq!(s.method, "passkey");
}

/// A terminal asks Jean Martin's phone; the request's end is checked to be 2 minutes after it.
async fn asked(app: &TestApp, terminal: &Device) -> ApprovalCreated {
    let before = app.state.now();
    let created = crate::approvals::ask(terminal, JEAN_MARTIN_RPPS).await;
    ends_after(
        Duration::minutes(2),
        (before, app.state.now()),
        created.expires_at,
    );
    created
}

/// The code (and its QR) a terminal shows for a push request can be typed on the phone until
/// the request's two minutes are over: at 119 s the phone gets its passkey challenge.
/// (One second after: `approvals::approval_after_cancel_or_expiry_is_refused`.)
#[tokio::test]
async fn a_push_code_can_be_typed_until_the_request_expires() {
    let app = TestApp::spawn().await;
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let created = asked(&app, &terminal).await;
    move_to(&app, created.expires_at - SECOND);
    let challenge: ApprovalChallenge =
        ok_json(crate::approvals::code_challenge(&phone, created.approval_id, &created.code).await)
            .await;
    key.do_authentication(app.base.clone(), challenge.options)
        .expect("the challenge is for this phone's passkey");
}

/// A pending push request can be approved until its two minutes are over; one second after,
/// the approval is refused even with a ceremony still alive, and the terminal sees it expired.
/// (The claim window after approval, both sides:
/// `approvals::an_approved_request_is_claimable_only_within_its_lifetime`.)
#[tokio::test]
async fn a_push_request_can_be_approved_until_its_two_minutes_are_over() {
    let app = TestApp::spawn().await;
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    for accepted in [true, false] {
        let created = asked(&app, &terminal).await;
        let id = created.approval_id;
        // The code typed 30 s before the end: its ceremony outlives the request.
        move_to(&app, created.expires_at - Duration::seconds(30));
        let challenge: ApprovalChallenge =
            ok_json(crate::approvals::code_challenge(&phone, id, &created.code).await).await;
        let confirm = ApprovalConfirm {
            ceremony_id: challenge.ceremony_id,
            credential: key
                .do_authentication(app.base.clone(), challenge.options)
                .expect("phone signs"),
        };
        let approve = format!("/api/approver/requests/{id}/approve");
        if accepted {
            move_to(&app, created.expires_at - SECOND);
            let approved: ApprovalState = ok_json(phone.post(&approve, &confirm).await).await;
            assert_eq!(
                (approved.approval_id, approved.status),
                (id, ApprovalStatus::Approved)
            );
        } else {
            move_to(&app, created.expires_at + SECOND);
            let r = phone.post(&approve, &confirm).await;
            assert_eq!(
                api_error(r, StatusCode::CONFLICT).await.code,
                ErrorCode::RequestClosed
            );
            assert_eq!(
                crate::approvals::status(&terminal, id).await,
                ApprovalStatus::Expired
            );
        }
    }
}

/// A structure account's SMS code, typed one second before its 5 minutes are over, still
/// completes the sign-in.
/// (One second after: `accounts::five_wrong_codes_or_a_late_code_end_the_attempt`.)
#[tokio::test]
async fn a_structure_account_sms_code_still_works_at_4_min_59() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use vigie_backend::entities::session;
    let app = TestApp::spawn().await;
    let device = app.device();
    let before = app.state.now();
    let s: SessionState = ok_json(
        device
            .post(
                "/api/accounts/sign-in",
                &json!({ "identifier": CENTRE_FINESS, "password": CENTRE_ACCOUNT_PASSWORD }),
            )
            .await,
    )
    .await;
    assert_eq!(s.stage, SessionStage::SecondFactor);
    // The code is sent after the password's slow check: its end is read where it is kept.
    let waiting = session::Entity::find()
        .filter(session::Column::FactorExpiresAt.is_not_null())
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("a session waits for its code");
    let end = ends_after(
        Duration::minutes(5),
        (before, app.state.now()),
        waiting.factor_expires_at.expect("filtered"),
    );
    let code = app.last_sms_code(CENTRE_ACCOUNT_MOBILE).await;
    move_to(&app, end - SECOND);
    let s: SessionState = ok_json(
        device
            .post("/api/accounts/second-factor", &json!({ "code": code }))
            .await,
    )
    .await;
    assert_eq!(
        (s.kind, s.stage),
        (PrincipalKind::StructureAccount, SessionStage::Active)
    );
}
