//! Security officers see incidents and frozen identities; nobody else does.

use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use vigie_backend::{
    demo::{CLAIRE_BERNARD_RPPS, JEAN_MARTIN_RPPS},
    entities::role_grant,
    routes::security::ROLE,
};
use vigie_shared::{
    ErrorCode,
    api::approval::{ApprovalCreated, ApprovalState, PendingApproval},
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::helpers::{TestApp, api_error, national_id, ok_json};

#[tokio::test]
async fn officer_sees_incident_and_lifts_the_freeze() {
    let app = TestApp::spawn().await;
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let attacker = app.device();
    let created: ApprovalCreated = ok_json(
        attacker
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
            )
            .await,
    )
    .await;
    ok_json::<ApprovalState>(
        phone
            .post_empty(&format!(
                "/api/approver/requests/{}/report",
                created.approval_id
            ))
            .await,
    )
    .await;

    // Claire is the officer; Jean (the victim) is not.
    let mut claire_key = SoftPasskey::new(true);
    app.register_passkey(CLAIRE_BERNARD_RPPS, &mut claire_key)
        .await;
    app.sign_in(CLAIRE_BERNARD_RPPS, &mut claire_key).await;
    let r = app.get("/api/security/incidents").await;
    assert_eq!(
        api_error(r, StatusCode::FORBIDDEN).await.code,
        ErrorCode::Forbidden
    );
    let claire = app.professional_id(CLAIRE_BERNARD_RPPS).await;
    role_grant::Entity::insert(role_grant::ActiveModel {
        professional_id: Set(claire),
        role: Set(ROLE.into()),
        granted_at: Set(app.state.now()),
    })
    .exec(&app.state.db)
    .await
    .expect("grant");

    let incidents: Vec<Value> = ok_json(app.get("/api/security/incidents").await).await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["professional"], "Dr Jean Martin");
    let freezes: Vec<Value> = ok_json(app.get("/api/security/freezes").await).await;
    assert_eq!(freezes.len(), 1);
    assert_eq!(
        freezes[0]["national_id"],
        national_id(JEAN_MARTIN_RPPS).as_str()
    );

    let lift = format!(
        "/api/security/freezes/{}/lift",
        national_id(JEAN_MARTIN_RPPS)
    );
    let r = app.post(&lift, &json!({ "reason": "" })).await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::InvalidInput
    );
    let r = app
        .post(
            &lift,
            &json!({ "reason": "Vérifié par téléphone avec le Dr Martin" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let freezes: Vec<Value> = ok_json(app.get("/api/security/freezes").await).await;
    assert!(freezes.is_empty());

    // Push works again for Jean.
    app.clock().advance(chrono::Duration::minutes(11));
    let again: ApprovalCreated = ok_json(
        app.device()
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
            )
            .await,
    )
    .await;
    let pending: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].approval_id, again.approval_id);

    let id = incidents[0]["incident_id"].as_str().expect("id");
    let closed: Value = ok_json(
        app.post(
            &format!("/api/security/incidents/{id}/close"),
            &json!({ "reason": "Tentative bloquée, RAS" }),
        )
        .await,
    )
    .await;
    assert_eq!(closed["status"], "closed");
    let incidents: Vec<Value> = ok_json(app.get("/api/security/incidents").await).await;
    assert!(incidents.is_empty());
}

#[tokio::test]
async fn anonymous_gets_401_on_security_pages() {
    let app = TestApp::spawn().await;
    for path in ["/api/security/incidents", "/api/security/freezes"] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
}
