//! Push approval with code transfer: every state transition, every limit, and the negatives,
//! with a terminal and a phone as two devices and real WebAuthn (SoftPasskey).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use vigie_backend::demo::{CLAIRE_BERNARD_RPPS, JEAN_MARTIN_RPPS};
use vigie_shared::{
    ErrorCode,
    api::{
        approval::{
            ApprovalChallenge, ApprovalConfirm, ApprovalCreated, ApprovalState, ApprovalStatus,
            PendingApproval,
        },
        session::SessionState,
    },
};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};

use crate::helpers::{Device, TestApp, api_error, national_id, ok_json};

pub async fn ask(terminal: &Device, rpps: &str) -> ApprovalCreated {
    ok_json(
        terminal
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id(rpps), "terminal_label": "Tablette 3" }),
            )
            .await,
    )
    .await
}

pub async fn code_challenge(phone: &Device, id: uuid::Uuid, code: &str) -> reqwest::Response {
    phone
        .post(
            &format!("/api/approver/requests/{id}/code"),
            &json!({ "code": code }),
        )
        .await
}

pub async fn confirm(
    app: &TestApp,
    phone: &Device,
    key: &mut SoftPasskey,
    id: uuid::Uuid,
    code: &str,
) -> (reqwest::Response, ApprovalConfirm) {
    let challenge: ApprovalChallenge = ok_json(code_challenge(phone, id, code).await).await;
    let credential = key
        .do_authentication(app.base.clone(), challenge.options)
        .expect("phone signs");
    let body = ApprovalConfirm {
        ceremony_id: challenge.ceremony_id,
        credential,
    };
    (
        phone
            .post(&format!("/api/approver/requests/{id}/approve"), &body)
            .await,
        body,
    )
}

pub async fn status(terminal: &Device, id: uuid::Uuid) -> ApprovalStatus {
    ok_json::<ApprovalState>(terminal.get(&format!("/api/approvals/{id}")).await)
        .await
        .status
}

#[tokio::test]
async fn full_push_sign_in_with_code_transfer() {
    let app = TestApp::spawn().await;
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let created = ask(&terminal, JEAN_MARTIN_RPPS).await;
    assert_eq!(created.code.len(), 6);
    assert!(created.code.chars().all(|c| c.is_ascii_digit()));
    assert!(
        created.qr_svg.starts_with("<?xml") || created.qr_svg.contains("<svg"),
        "QR as SVG"
    );
    assert_eq!(
        status(&terminal, created.approval_id).await,
        ApprovalStatus::Pending
    );

    // The phone lists it, with its context; a terminal that is not enrolled is unknown (the
    // name typed on it is not shown: anyone can type one) and atypical.
    let pending: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    assert_eq!(pending.len(), 1);
    let p = &pending[0];
    assert_eq!(p.approval_id, created.approval_id);
    assert_eq!(p.terminal, "Poste inconnu");
    assert!(!p.terminal_enrolled);
    assert_eq!(p.ip, "127.0.0.1");
    assert!(
        p.atypical.iter().any(|r| r.starts_with("Poste inconnu")),
        "{:?}",
        p.atypical
    );

    let (r, _) = confirm(&app, &phone, &mut key, created.approval_id, &created.code).await;
    assert_eq!(
        ok_json::<ApprovalState>(r).await.status,
        ApprovalStatus::Approved
    );
    assert_eq!(
        status(&terminal, created.approval_id).await,
        ApprovalStatus::Approved
    );

    // The terminal turns it into a session, once.
    let r = terminal
        .post_empty(&format!("/api/approvals/{}/session", created.approval_id))
        .await;
    let state: SessionState = ok_json(r).await;
    assert_eq!(state.display_name, "Dr Jean Martin");
    assert_eq!(state.method, "push");
    ok_json::<SessionState>(terminal.get("/api/session").await).await;
    let again = terminal
        .post_empty(&format!("/api/approvals/{}/session", created.approval_id))
        .await;
    assert_eq!(
        api_error(again, StatusCode::CONFLICT).await.code,
        ErrorCode::RequestClosed
    );

    // Exactly one sign-in mail, and the audit chain holds.
    let mails = app.outbox().await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.subject.contains("nouvelle connexion"))
            .count(),
        1
    );
    let sign_in = mails
        .iter()
        .find(|m| m.subject.contains("nouvelle connexion"))
        .expect("sign-in mail");
    assert!(sign_in.body.contains("Poste inconnu") && sign_in.body.contains("/signalement#jeton="));
    app.sealed().await;
    assert!(
        matches!(vigie_backend::audit::verify(&app.state.db, &app.state.audit_key).await.expect("verify"), vigie_backend::audit::Verdict::Intact { events } if events >= 4)
    );

    // Having signed in there changes nothing: a terminal that is not enrolled stays unknown.
    terminal.post_empty("/api/session/logout").await;
    let second = ask(&terminal, JEAN_MARTIN_RPPS).await;
    let pending: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    assert!(
        pending[0]
            .atypical
            .iter()
            .any(|r| r.starts_with("Poste inconnu")),
        "{:?}",
        pending[0].atypical
    );
    assert_eq!(pending[0].approval_id, second.approval_id);
}

#[tokio::test]
async fn wrong_code_three_times_refuses_the_request() {
    let app = TestApp::spawn().await;
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let created = ask(&terminal, JEAN_MARTIN_RPPS).await;
    let wrong = if created.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..3 {
        let err = api_error(
            code_challenge(&phone, created.approval_id, wrong).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(err.code, ErrorCode::WrongCode);
    }
    assert_eq!(
        status(&terminal, created.approval_id).await,
        ApprovalStatus::Refused
    );
    // Even the right code is too late now.
    let err = api_error(
        code_challenge(&phone, created.approval_id, &created.code).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(err.code, ErrorCode::RequestClosed);
}

#[tokio::test]
async fn the_code_of_another_request_does_not_fit() {
    let app = TestApp::spawn().await;
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let first = ask(&terminal, JEAN_MARTIN_RPPS).await;
    ok_json::<Value>(
        terminal
            .post_empty(&format!("/api/approvals/{}/cancel", first.approval_id))
            .await,
    )
    .await;
    let second = ask(&terminal, JEAN_MARTIN_RPPS).await;
    if first.code != second.code {
        let err = api_error(
            code_challenge(&phone, second.approval_id, &first.code).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(err.code, ErrorCode::WrongCode);
    }
}

#[tokio::test]
async fn an_approval_cannot_be_replayed_or_moved_to_another_request() {
    let app = TestApp::spawn().await;
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let first = ask(&terminal, JEAN_MARTIN_RPPS).await;
    // A ceremony started for the first request…
    let challenge: ApprovalChallenge =
        ok_json(code_challenge(&phone, first.approval_id, &first.code).await).await;
    let credential = key
        .do_authentication(app.base.clone(), challenge.options)
        .expect("signs");
    let body = ApprovalConfirm {
        ceremony_id: challenge.ceremony_id,
        credential,
    };
    ok_json::<Value>(
        terminal
            .post_empty(&format!("/api/approvals/{}/cancel", first.approval_id))
            .await,
    )
    .await;
    let second = ask(&terminal, JEAN_MARTIN_RPPS).await;
    // …cannot approve the second one.
    let r = phone
        .post(
            &format!("/api/approver/requests/{}/approve", second.approval_id),
            &body,
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::WebauthnRejected
    );
    assert_eq!(
        status(&terminal, second.approval_id).await,
        ApprovalStatus::Pending
    );
    // A completed approval replayed: the ceremony is gone.
    let (r, body) = confirm(&app, &phone, &mut key, second.approval_id, &second.code).await;
    ok_json::<ApprovalState>(r).await;
    let r = phone
        .post(
            &format!("/api/approver/requests/{}/approve", second.approval_id),
            &body,
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::CeremonyExpired
    );
}

#[tokio::test]
async fn approval_after_cancel_or_expiry_is_refused() {
    let app = TestApp::spawn().await;
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let created = ask(&terminal, JEAN_MARTIN_RPPS).await;
    let challenge: ApprovalChallenge =
        ok_json(code_challenge(&phone, created.approval_id, &created.code).await).await;
    let credential = key
        .do_authentication(app.base.clone(), challenge.options)
        .expect("signs");
    let cancelled: ApprovalState = ok_json(
        terminal
            .post_empty(&format!("/api/approvals/{}/cancel", created.approval_id))
            .await,
    )
    .await;
    assert_eq!(cancelled.status, ApprovalStatus::Cancelled);
    let r = phone
        .post(
            &format!("/api/approver/requests/{}/approve", created.approval_id),
            &ApprovalConfirm {
                ceremony_id: challenge.ceremony_id,
                credential,
            },
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::CONFLICT).await.code,
        ErrorCode::RequestClosed
    );

    let late = ask(&terminal, JEAN_MARTIN_RPPS).await;
    app.clock().advance(chrono::Duration::seconds(121));
    assert_eq!(
        status(&terminal, late.approval_id).await,
        ApprovalStatus::Expired
    );
    let err = api_error(
        code_challenge(&phone, late.approval_id, &late.code).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(err.code, ErrorCode::RequestClosed);
    let claim = terminal
        .post_empty(&format!("/api/approvals/{}/session", late.approval_id))
        .await;
    assert_eq!(
        api_error(claim, StatusCode::CONFLICT).await.code,
        ErrorCode::RequestClosed
    );
}

#[tokio::test]
async fn quitter_l_authentification_reaches_the_terminal_live() {
    let app = TestApp::spawn().await;
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let created = ask(&terminal, JEAN_MARTIN_RPPS).await;
    let mut stream = terminal
        .get(&format!("/api/approvals/{}/events", created.approval_id))
        .await;
    assert_eq!(stream.status(), StatusCode::OK);
    let first = next_event(&mut stream).await;
    assert!(first.contains("\"pending\""), "{first}");
    let refused_at = Instant::now();
    ok_json::<ApprovalState>(
        phone
            .post_empty(&format!(
                "/api/approver/requests/{}/refuse",
                created.approval_id
            ))
            .await,
    )
    .await;
    let event = tokio::time::timeout(Duration::from_secs(1), next_event(&mut stream))
        .await
        .expect("within 1 second");
    assert!(event.contains("\"refused\""), "{event}");
    eprintln!("refusal reached the terminal in {:?}", refused_at.elapsed());
    // The terminal says no more than "refused" either way.
    assert_eq!(
        status(&terminal, created.approval_id).await,
        ApprovalStatus::Refused
    );
}

/// Reads SSE chunks until one `data:` line arrives.
async fn next_event(response: &mut reqwest::Response) -> String {
    let mut buf = String::new();
    loop {
        let chunk = response
            .chunk()
            .await
            .expect("stream")
            .expect("stream open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(line) = buf.lines().find(|l| l.starts_with("data:")) {
            return line.to_owned();
        }
    }
}

#[tokio::test]
async fn the_phone_hears_new_requests_live() {
    let app = TestApp::spawn().await;
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let mut stream = phone.get("/api/approver/events").await;
    assert_eq!(stream.status(), StatusCode::OK);
    let terminal = app.device();
    let created = ask(&terminal, JEAN_MARTIN_RPPS).await;
    let event = tokio::time::timeout(Duration::from_secs(2), next_event(&mut stream))
        .await
        .expect("live");
    assert!(event.contains(&created.approval_id.to_string()), "{event}");
    assert!(event.contains("Poste inconnu"), "{event}");
}

#[tokio::test]
async fn ce_n_est_pas_moi_freezes_push_and_opens_an_incident() {
    let app = TestApp::spawn().await;
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let attacker = app.device();
    let created = ask(&attacker, JEAN_MARTIN_RPPS).await;
    let reported: ApprovalState = ok_json(
        phone
            .post_empty(&format!(
                "/api/approver/requests/{}/report",
                created.approval_id
            ))
            .await,
    )
    .await;
    assert_eq!(reported.status, ApprovalStatus::Reported);
    // The attacker only learns "refused".
    let seen: ApprovalState = ok_json(
        attacker
            .get(&format!("/api/approvals/{}", created.approval_id))
            .await,
    )
    .await;
    assert_eq!(seen.message, ApprovalStatus::Refused.label());

    // The next request reaches no phone (and still looks the same to the terminal).
    app.clock().advance(chrono::Duration::minutes(11));
    let next = ask(&attacker, JEAN_MARTIN_RPPS).await;
    let pending: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    assert!(pending.is_empty(), "a frozen identity gets no push");
    let err = api_error(
        code_challenge(&phone, next.approval_id, &next.code).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(err.code, ErrorCode::NotFound);

    // Incident open, professional mailed, audit written.
    use sea_orm::EntityTrait;
    let incidents = vigie_backend::entities::incident::Entity::find()
        .all(&app.state.db)
        .await
        .expect("query");
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].status, "open");
    assert!(
        app.outbox()
            .await
            .iter()
            .any(|m| m.subject.contains("signalée"))
    );

    // Passkey sign-in is never blocked by push limits.
    let device = app.device();
    let _ = device;
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;

    // 24 h later push works again.
    app.clock().advance(chrono::Duration::hours(24));
    let later = ask(&attacker, JEAN_MARTIN_RPPS).await;
    let pending: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].approval_id, later.approval_id);
}

#[tokio::test]
async fn limits_one_pending_three_per_ten_minutes_ten_per_hour() {
    let app = TestApp::spawn().await;
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let first = ask(&terminal, JEAN_MARTIN_RPPS).await;
    let r = terminal
        .post(
            "/api/approvals",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::TOO_MANY_REQUESTS).await.code,
        ErrorCode::RateLimited
    );
    ok_json::<Value>(
        terminal
            .post_empty(&format!("/api/approvals/{}/cancel", first.approval_id))
            .await,
    )
    .await;
    for _ in 0..2 {
        let c = ask(&terminal, JEAN_MARTIN_RPPS).await;
        ok_json::<Value>(
            terminal
                .post_empty(&format!("/api/approvals/{}/cancel", c.approval_id))
                .await,
        )
        .await;
    }
    let r = terminal
        .post(
            "/api/approvals",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::TOO_MANY_REQUESTS).await.code,
        ErrorCode::RateLimited,
        "4th in 10 minutes"
    );
    // Over the hour: 3 more every 10 minutes until 10.
    let mut made = 3;
    for _ in 0..3 {
        app.clock()
            .advance(chrono::Duration::minutes(10) + chrono::Duration::seconds(1));
        for _ in 0..3 {
            if made == 10 {
                break;
            }
            let c = ask(&terminal, JEAN_MARTIN_RPPS).await;
            ok_json::<Value>(
                terminal
                    .post_empty(&format!("/api/approvals/{}/cancel", c.approval_id))
                    .await,
            )
            .await;
            made += 1;
        }
    }
    assert_eq!(made, 10);
    app.clock().advance(chrono::Duration::minutes(10));
    let r = terminal
        .post(
            "/api/approvals",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::TOO_MANY_REQUESTS).await.code,
        ErrorCode::RateLimited,
        "11th in the hour"
    );
    let _ = phone;
}

#[tokio::test]
async fn five_refusals_in_a_row_freeze_push_fifteen_minutes_then_thirty() {
    let app = TestApp::spawn().await;
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let refuse_five = async || {
        for _ in 0..5 {
            // Stay under the 3-per-10-minutes limit.
            app.clock().advance(chrono::Duration::minutes(4));
            let c = ask(&terminal, JEAN_MARTIN_RPPS).await;
            ok_json::<ApprovalState>(
                phone
                    .post_empty(&format!("/api/approver/requests/{}/refuse", c.approval_id))
                    .await,
            )
            .await;
        }
    };
    refuse_five().await;
    app.clock().advance(chrono::Duration::minutes(4));
    let frozen = ask(&terminal, JEAN_MARTIN_RPPS).await;
    let pending: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    assert!(pending.is_empty(), "frozen for 15 minutes");
    let _ = frozen;
    app.clock().advance(chrono::Duration::minutes(16));
    let c = ask(&terminal, JEAN_MARTIN_RPPS).await;
    let pending: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    assert_eq!(pending.len(), 1, "free again after 15 minutes");
    ok_json::<ApprovalState>(
        phone
            .post_empty(&format!("/api/approver/requests/{}/refuse", c.approval_id))
            .await,
    )
    .await;
    // Passkey sign-in works throughout.
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    // Out of the 10-per-hour window; the run of failures goes on (1 so far).
    app.clock().advance(chrono::Duration::hours(1));
    for _ in 0..4 {
        app.clock().advance(chrono::Duration::minutes(4));
        let c = ask(&terminal, JEAN_MARTIN_RPPS).await;
        ok_json::<ApprovalState>(
            phone
                .post_empty(&format!("/api/approver/requests/{}/refuse", c.approval_id))
                .await,
        )
        .await;
    }
    // Second freeze: 30 minutes (doubling).
    app.clock().advance(chrono::Duration::minutes(20));
    ask(&terminal, JEAN_MARTIN_RPPS).await;
    let pending: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    assert!(pending.is_empty(), "still frozen after 20 of 30 minutes");
}

/// The JSON structure without its values.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(shape).collect()),
        Value::String(s) => json!(s.len()),
        Value::Number(_) => json!(0),
        other => other.clone(),
    }
}

#[tokio::test]
async fn identical_answers_for_unknown_frozen_and_real_identifiers() {
    let app = TestApp::spawn().await;
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    // Claire has no phone; "10022222227" exists nowhere; Jean is real.
    let unknown = "10022222227";
    let mut answers = Vec::new();
    for rpps in [JEAN_MARTIN_RPPS, CLAIRE_BERNARD_RPPS, unknown] {
        let terminal = app.device();
        let r = terminal
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id(rpps) }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let mut body: Value = r.json().await.expect("json");
        // The QR's size follows its content, which is random: compare the rest.
        body.as_object_mut().expect("object").remove("qr_svg");
        answers.push(shape(&body));
        let id = body["approval_id"].as_str().expect("id").to_owned();
        let st: Value = ok_json(terminal.get(&format!("/api/approvals/{id}")).await).await;
        assert_eq!(st["status"], "pending");
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    // A malformed identifier is refused before anything is created.
    let r = app
        .device()
        .post("/api/approvals", &json!({ "national_id": "810003456781" }))
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::InvalidIdentifier
    );
    let _ = phone;
}

#[tokio::test]
async fn other_devices_cannot_touch_a_request() {
    let app = TestApp::spawn().await;
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let (claire_phone, _k) = app.activated_phone(CLAIRE_BERNARD_RPPS).await;
    let terminal = app.device();
    let created = ask(&terminal, JEAN_MARTIN_RPPS).await;
    let stranger = app.device();
    assert_eq!(
        stranger
            .get(&format!("/api/approvals/{}", created.approval_id))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stranger
            .post_empty(&format!("/api/approvals/{}/cancel", created.approval_id))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Another professional's phone neither sees nor decides it.
    let pending: Vec<PendingApproval> =
        ok_json(claire_phone.get("/api/approver/requests").await).await;
    assert!(pending.is_empty());
    let r = claire_phone
        .post_empty(&format!(
            "/api/approver/requests/{}/refuse",
            created.approval_id
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A device that is not an activated phone gets nothing.
    let r = stranger.get("/api/approver/requests").await;
    assert_eq!(
        api_error(r, StatusCode::UNAUTHORIZED).await.code,
        ErrorCode::NotApproverDevice
    );
    assert_eq!(
        status(&terminal, created.approval_id).await,
        ApprovalStatus::Pending
    );
    let _ = phone;
}

#[tokio::test]
async fn audit_chain_detects_tampering() {
    let app = TestApp::spawn().await;
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let created = ask(&terminal, JEAN_MARTIN_RPPS).await;
    let (r, _) = confirm(&app, &phone, &mut key, created.approval_id, &created.code).await;
    ok_json::<Value>(r).await;
    use vigie_backend::audit::{Verdict, verify};
    let key = &app.state.audit_key;
    app.sealed().await;
    assert!(matches!(
        verify(&app.state.db, key).await.expect("verify"),
        Verdict::Intact { .. }
    ));
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared(
            "UPDATE audit_event SET action = 'approval.refused' WHERE action = 'approval.approved'",
        )
        .await
        .expect("tamper");
    assert!(matches!(
        verify(&app.state.db, key).await.expect("verify"),
        Verdict::Broken { .. }
    ));
}

/// Someone who can write to the database but has no vault key edits an event and recomputes
/// every later link as a plain hash chain would allow (length-prefixed SHA-256 of the previous
/// link and the fields), head included: the keyed links still tell.
#[tokio::test]
async fn a_database_writer_cannot_rewrite_the_audit_chain() {
    use sea_orm::{EntityTrait, QueryOrder};
    use vigie_backend::{
        audit::{Verdict, verify},
        entities::audit_event,
    };
    let app = TestApp::spawn().await;
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let created = ask(&app.device(), JEAN_MARTIN_RPPS).await;
    let (r, _) = confirm(&app, &phone, &mut key, created.approval_id, &created.code).await;
    ok_json::<Value>(r).await;
    // Every event is in the chain before the forgery starts.
    app.sealed().await;
    let db = &app.state.db;
    let events = audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await
        .expect("events");
    let forged_from = events
        .iter()
        .find(|e| e.action == "approval.approved")
        .expect("approval event")
        .seq;
    crate::helpers::relink_by_plain_hashes(&app, forged_from, |e| {
        if e.seq == forged_from {
            e.action = "approval.refused".into();
        }
    })
    .await;
    assert_eq!(
        verify(db, &app.state.audit_key).await.expect("verify"),
        Verdict::Broken {
            seq: forged_from,
            reason: "contenu modifié"
        }
    );
}

#[tokio::test]
async fn one_address_cannot_ask_for_everybody() {
    let app = TestApp::spawn_with(|s| s.push_requests_per_ip_per_10_min = 3).await;
    // Three different identities from one address, then the fourth is refused.
    for rpps in ["10022222227", JEAN_MARTIN_RPPS, CLAIRE_BERNARD_RPPS] {
        ask(&app.device(), rpps).await;
    }
    let r = app
        .device()
        .post(
            "/api/approvals",
            &json!({ "national_id": national_id("10009876540") }),
        )
        .await;
    assert_eq!(
        api_error(r, StatusCode::TOO_MANY_REQUESTS).await.code,
        ErrorCode::RateLimited
    );
}

#[tokio::test]
async fn a_terminal_keeps_its_name() {
    let app = TestApp::spawn().await;
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let first = ask(&terminal, JEAN_MARTIN_RPPS).await;
    ok_json::<Value>(
        terminal
            .post_empty(&format!("/api/approvals/{}/cancel", first.approval_id))
            .await,
    )
    .await;
    // Asking again without a name does not rename "Tablette 3".
    ok_json::<ApprovalCreated>(
        terminal
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
            )
            .await,
    )
    .await;
    // The phone does not show a typed name; the terminal keeps it for "Mes sessions".
    use sea_orm::EntityTrait;
    let pending: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    assert_eq!(pending[0].terminal, "Poste inconnu");
    let terminals = vigie_backend::entities::terminal::Entity::find()
        .all(&app.state.db)
        .await
        .expect("terminals");
    assert_eq!(terminals.len(), 1);
    assert_eq!(terminals[0].label, "Tablette 3");
}

/// An approval is claimed at once by its terminal, not kept for later: within the request's
/// two minutes, or 30 s after an approval given at their very end. Both sides of each bound.
#[tokio::test]
async fn an_approved_request_is_claimable_only_within_its_lifetime() {
    let app = TestApp::spawn().await;
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let seconds = chrono::Duration::seconds;
    // (wait before approving, wait after approving, claim accepted)
    let cases = [
        (seconds(0), seconds(119), true),
        (seconds(0), seconds(121), false),
        (seconds(110), seconds(29), true),
        (seconds(110), seconds(31), false),
    ];
    for (before, after, accepted) in cases {
        let terminal = app.device();
        let created = ask(&terminal, JEAN_MARTIN_RPPS).await;
        app.clock().advance(before);
        let (r, _) = confirm(&app, &phone, &mut key, created.approval_id, &created.code).await;
        assert_eq!(
            ok_json::<ApprovalState>(r).await.status,
            ApprovalStatus::Approved
        );
        app.clock().advance(after);
        let r = terminal
            .post_empty(&format!("/api/approvals/{}/session", created.approval_id))
            .await;
        if accepted {
            let state: SessionState = ok_json(r).await;
            assert_eq!(state.display_name, "Dr Jean Martin");
        } else {
            let e = api_error(r, StatusCode::CONFLICT).await;
            assert_eq!(e.code, ErrorCode::RequestClosed, "{before} + {after}");
            api_error(terminal.get("/api/session").await, StatusCode::UNAUTHORIZED).await;
        }
        // Out of the per-identity window before the next request.
        app.clock().advance(chrono::Duration::minutes(11));
    }
}

/// Anyone who knows an RPPS can leave push requests unanswered; that alone never freezes push
/// sign-in for more than 15 minutes at a time. A run in which the phone refused (its owner saw
/// requests he did not make) escalates: 15 minutes, then 30.
#[tokio::test]
async fn unanswered_requests_alone_never_freeze_push_for_more_than_fifteen_minutes() {
    use sea_orm::EntityTrait;
    use vigie_backend::entities::push_freeze;
    let app = TestApp::spawn().await;
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let minutes = chrono::Duration::minutes;
    let id = national_id(JEAN_MARTIN_RPPS).as_str().to_owned();
    // A run of five failures: the first `unanswered` expire, the others are refused.
    let run = async |unanswered: usize| {
        for i in 0..5 {
            app.clock().advance(minutes(4));
            let c = ask(&terminal, JEAN_MARTIN_RPPS).await;
            if i < unanswered {
                app.clock().advance(minutes(3));
                assert_eq!(
                    status(&terminal, c.approval_id).await,
                    ApprovalStatus::Expired
                );
            } else {
                ok_json::<ApprovalState>(
                    phone
                        .post_empty(&format!("/api/approver/requests/{}/refuse", c.approval_id))
                        .await,
                )
                .await;
            }
        }
        let row = push_freeze::Entity::find_by_id(id.clone())
            .one(&app.state.db)
            .await
            .expect("query")
            .expect("row");
        let left = row.frozen_until.expect("frozen") - app.state.now();
        // Out of the per-hour window before the next run.
        app.clock().advance(chrono::Duration::hours(1));
        // In whole minutes (the real milliseconds of the test aside).
        ((left.num_seconds() + 30) / 60, row.level)
    };
    for _ in 0..3 {
        assert_eq!(
            run(5).await,
            (15, 0),
            "unanswered only: 15 minutes, no escalation"
        );
    }
    assert_eq!(
        run(4).await,
        (15, 1),
        "one refusal: 15 minutes, and the next run escalates"
    );
    assert_eq!(
        run(5).await,
        (15, 1),
        "unanswered only again: still 15 minutes"
    );
    assert_eq!(run(4).await, (30, 2), "a refusal again: 30 minutes");
}

/// A terminal's name reaches the professional's phone and the sign-in mail: a link, an
/// address, a number to call or a hidden character is refused (400, French message) before
/// anything is written; a plain name is kept.
#[tokio::test]
async fn a_terminal_name_cannot_carry_a_link_or_hidden_characters() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    use vigie_backend::entities::{approval_request, terminal};
    let app = TestApp::spawn().await;
    for label in [
        "Urgent : https://vigie-securite.example",
        "Rappelez le 0612345678",
        "Tablette\u{202E}3",
    ] {
        let r = app
            .device()
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS), "terminal_label": label }),
            )
            .await;
        let e = api_error(r, StatusCode::BAD_REQUEST).await;
        assert_eq!(e.code, ErrorCode::InvalidInput, "{label}");
        assert!(e.message.starts_with("Nom du poste"), "{}", e.message);
    }
    let db = &app.state.db;
    assert_eq!(terminal::Entity::find().count(db).await.expect("count"), 0);
    assert_eq!(
        approval_request::Entity::find()
            .count(db)
            .await
            .expect("count"),
        0
    );
    let created: ApprovalCreated = ok_json(
        app.device()
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS), "terminal_label": "  Hall B - poste 2 " }),
            )
            .await,
    )
    .await;
    let row = approval_request::Entity::find_by_id(created.approval_id)
        .one(db)
        .await
        .expect("query")
        .expect("request");
    // The phone shows no typed name; the terminal keeps it, cleaned, for "Mes sessions".
    assert_eq!(row.terminal_label, "Poste inconnu");
    let terminals = terminal::Entity::find().all(db).await.expect("terminals");
    assert_eq!(terminals[0].label, "Hall B - poste 2");
}
