//! One credential model and its lifecycle ("Mes appareils"): passkeys and phones listed and
//! revoked by their owner, a structure's manager for their staff, a security officer for
//! anyone; the mail sent for every new credential and its "Ce n'est pas moi" link; a new staff
//! link revoking the old keys; the old tables' rows moved by the migration.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::{Response, StatusCode};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;
use vigie_backend::{
    demo::{CLAIRE_BERNARD_RPPS, JEAN_MARTIN_RPPS},
    entities::{credential, incident, role_grant},
};
use vigie_shared::{
    ErrorCode,
    api::{
        credentials::{CredentialKind, CredentialView, OwnerKind},
        delegation::StaffEnrolment,
        session::SessionState,
    },
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::{
    delegation::{marie_link, register_staff_key, scene, staff_sign_in},
    helpers::{Device, TestApp, api_error, ok_json},
};

async fn delete(device: &Device, path: &str) -> Response {
    device
        .client
        .delete(device.base.join(path).expect("path"))
        .send()
        .await
        .expect("request")
}

/// A revoked key is refused both ways: a sign-in signed before the revocation and sent after
/// it is refused by the server (a real ceremony), and a new challenge no longer names it (the
/// authenticator has nothing to sign with).
async fn professional_key_refused(
    app: &TestApp,
    signed: vigie_shared::api::passkey::AuthenticationFinish,
    key: &mut SoftPasskey,
) {
    let r = app
        .device()
        .post("/api/passkeys/authentication/finish", &signed)
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::WebauthnRejected
    );
    let challenge: vigie_shared::api::passkey::AuthenticationChallenge = ok_json(
        app.device()
            .post(
                "/api/passkeys/authentication/start",
                &json!({ "national_id": crate::helpers::national_id(JEAN_MARTIN_RPPS) }),
            )
            .await,
    )
    .await;
    use webauthn_authenticator_rs::WebauthnAuthenticator;
    assert!(
        key.do_authentication(app.base.clone(), challenge.options)
            .is_err()
    );
}

/// Jean's own computer, with two passkeys registered there (each also activates it as a phone).
async fn jean_with_two_keys(app: &TestApp) -> (Device, SoftPasskey, SoftPasskey) {
    let device = app.device();
    let (mut first, mut second) = (SoftPasskey::new(true), SoftPasskey::new(true));
    app.register_passkey_on(&device, JEAN_MARTIN_RPPS, &mut first)
        .await;
    app.register_passkey_on(&device, JEAN_MARTIN_RPPS, &mut second)
        .await;
    app.sign_in_on(&device, JEAN_MARTIN_RPPS, &mut first).await;
    (device, first, second)
}

#[tokio::test]
async fn a_revoked_passkey_no_longer_signs_in_and_the_other_still_does() {
    let app = TestApp::spawn().await;
    let (device, mut first, mut second) = jean_with_two_keys(&app).await;
    let listed: Vec<CredentialView> = ok_json(device.get("/api/credentials").await).await;
    let passkeys: Vec<&CredentialView> = listed
        .iter()
        .filter(|c| c.kind == CredentialKind::Passkey)
        .collect();
    let phones: Vec<&CredentialView> = listed
        .iter()
        .filter(|c| c.kind == CredentialKind::Phone)
        .collect();
    assert_eq!((passkeys.len(), phones.len()), (2, 2), "{listed:?}");
    assert!(listed.iter().all(|c| c.name == "Téléphone"));
    // The session was opened with the first key: it is the current one; this browser is the
    // phone activated last.
    let current: Vec<&&CredentialView> = passkeys.iter().filter(|c| c.current).collect();
    assert_eq!(current.len(), 1);
    assert!(current[0].last_used_at.is_some());
    assert_eq!(phones.iter().filter(|c| c.current).count(), 1);
    let first_id = current[0].id;
    let second_id = passkeys.iter().find(|c| !c.current).expect("other").id;

    // Someone else's (Claire's) list holds none of them, and her revoking one is a 404.
    let (claire, _) = app.professional_device(CLAIRE_BERNARD_RPPS).await;
    let theirs: Vec<CredentialView> = ok_json(claire.get("/api/credentials").await).await;
    assert!(theirs.iter().all(|c| listed.iter().all(|l| l.id != c.id)));
    let r = delete(&claire, &format!("/api/credentials/{first_id}")).await;
    assert_eq!(
        api_error(r, StatusCode::NOT_FOUND).await.code,
        ErrorCode::NotFound
    );

    // Revoked by Jean: it stops signing in at once (a real ceremony, refused); the other signs in.
    let signed = app
        .signed_challenge(&app.device().client, JEAN_MARTIN_RPPS, &mut first)
        .await;
    let r = delete(&device, &format!("/api/credentials/{first_id}")).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    professional_key_refused(&app, signed, &mut first).await;
    ok_json::<SessionState>(app.sign_in_response(JEAN_MARTIN_RPPS, &mut second).await).await;
    let after: Vec<CredentialView> = ok_json(device.get("/api/credentials").await).await;
    assert!(after.iter().all(|c| c.id != first_id));
    // Twice: gone, as for an unknown id.
    let r = delete(&device, &format!("/api/credentials/{first_id}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // The last passkey stays: without it there is no way in (a phone approves with a passkey).
    let r = delete(&device, &format!("/api/credentials/{second_id}")).await;
    let e = api_error(r, StatusCode::CONFLICT).await;
    assert_eq!(e.code, ErrorCode::LastPasskey);
    assert!(e.message.contains("dernière clé"), "{}", e.message);
    ok_json::<SessionState>(app.sign_in_response(JEAN_MARTIN_RPPS, &mut second).await).await;
}

/// Two parallel revocations of two keys: never both, so a way in is always left.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_revocations_never_take_the_last_passkey() {
    let app = TestApp::spawn().await;
    let (device, _first, _second) = jean_with_two_keys(&app).await;
    let listed: Vec<CredentialView> = ok_json(device.get("/api/credentials").await).await;
    let ids: Vec<Uuid> = listed
        .iter()
        .filter(|c| c.kind == CredentialKind::Passkey)
        .map(|c| c.id)
        .collect();
    let paths: Vec<String> = (0..50)
        .map(|i| format!("/api/credentials/{}", ids[i % 2]))
        .collect();
    let answers = join_all(paths.iter().map(|p| delete(&device, p))).await;
    let done = answers
        .iter()
        .filter(|r| r.status() == StatusCode::NO_CONTENT)
        .count();
    assert_eq!(done, 1);
    let live = credential::Entity::find()
        .filter(credential::Column::RevokedAt.is_null())
        .all(&app.state.db)
        .await
        .expect("query");
    assert_eq!(live.len(), 1);
}

#[tokio::test]
async fn a_revoked_phone_stops_seeing_requests_and_its_stream_ends() {
    let app = TestApp::spawn().await;
    let (computer, _key) = app.professional_device(JEAN_MARTIN_RPPS).await;
    let (phone, _phone_key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    ok_json::<serde_json::Value>(phone.get("/api/approver/requests").await).await;
    let mut stream = phone.get("/api/approver/events").await;
    assert_eq!(stream.status(), StatusCode::OK);
    let listed: Vec<CredentialView> = ok_json(computer.get("/api/credentials").await).await;
    // The phone activated last.
    let phone_id = listed
        .iter()
        .filter(|c| c.kind == CredentialKind::Phone)
        .max_by_key(|c| c.created_at)
        .expect("phone")
        .id;
    let r = delete(&computer, &format!("/api/credentials/{phone_id}")).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let started = std::time::Instant::now();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    loop {
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Ok(None)) => break,
            Ok(Err(e)) => panic!("stream broke: {e}"),
            Err(_) => panic!("stream still open after 1 s: {text}"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(text.contains("device_revoked"), "{text}");
    let r = phone.get("/api/approver/requests").await;
    assert_eq!(
        api_error(r, StatusCode::UNAUTHORIZED).await.code,
        ErrorCode::NotApproverDevice
    );
}

/// Marie's sign-in, signed by her key but not sent yet.
async fn staff_signed(app: &TestApp, tablet: &Device, key: &mut SoftPasskey) -> serde_json::Value {
    use webauthn_authenticator_rs::WebauthnAuthenticator;
    let challenge: vigie_shared::api::passkey::AuthenticationChallenge = ok_json(
        tablet
            .post(
                "/api/delegation/sign-in/start",
                &json!({ "cpe_number": vigie_backend::demo::DEMO_STAFF_CPE }),
            )
            .await,
    )
    .await;
    let credential = key
        .do_authentication(app.base.clone(), challenge.options)
        .expect("staff key signs");
    json!({ "ceremony_id": challenge.ceremony_id, "credential": credential })
}

async fn staff_key_refused(app: &TestApp, tablet: &Device, signed: serde_json::Value) {
    let _ = app;
    let r = tablet.post("/api/delegation/sign-in/finish", &signed).await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::WebauthnRejected
    );
}

#[tokio::test]
async fn the_manager_revokes_his_staff_key_not_another_structures_and_a_new_link_revokes() {
    let mut s = scene().await;
    ok_json::<SessionState>(staff_sign_in(&s.app, &s.tablet, &mut s.tablet_key).await).await;
    // Marie sees her own key in her session.
    let own: Vec<CredentialView> = ok_json(s.tablet.get("/api/credentials").await).await;
    assert_eq!(own.len(), 1);
    assert!(own[0].current && own[0].kind == CredentialKind::Passkey && own[0].name == "Tablette");
    // Her only key: she cannot revoke it herself.
    let r = delete(&s.tablet, &format!("/api/credentials/{}", own[0].id)).await;
    assert_eq!(
        api_error(r, StatusCode::CONFLICT).await.code,
        ErrorCode::LastPasskey
    );

    // The manager lists it and revokes it: Marie's sign-in is refused.
    let path = format!(
        "/api/structures/{}/staff/{}/credentials",
        s.structure_id, s.marie
    );
    let listed: Vec<CredentialView> = ok_json(s.manager.get(&path).await).await;
    assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), [own[0].id]);
    // Jean (no manager) and another structure's objects: refused.
    let (jean, _) = s.app.professional_device(JEAN_MARTIN_RPPS).await;
    assert!(matches!(
        jean.get(&path).await.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let lyon = s.app.lyon_centre().await;
    let r = s
        .manager
        .get(&format!(
            "/api/structures/{lyon}/staff/{}/credentials",
            s.marie
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = delete(&s.manager, &format!("{path}/{}", Uuid::new_v4())).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let signed = staff_signed(&s.app, &s.tablet, &mut s.tablet_key).await;
    let r = delete(&s.manager, &format!("{path}/{}", own[0].id)).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    staff_key_refused(&s.app, &s.tablet, signed).await;

    // A new key, then a new link: the link answer says it revoked it, and it no longer signs in.
    let (_, _, link) = marie_link(&s.manager).await;
    assert_eq!(link.revoked_passkeys, 0);
    let mut key = SoftPasskey::new(true);
    register_staff_key(&s.app, &s.tablet, &mut key, &link.enrolment_token).await;
    ok_json::<SessionState>(staff_sign_in(&s.app, &s.tablet, &mut key).await).await;
    let signed = staff_signed(&s.app, &s.tablet, &mut key).await;
    let (_, _, again): (_, _, StaffEnrolment) = marie_link(&s.manager).await;
    assert_eq!(again.revoked_passkeys, 1);
    staff_key_refused(&s.app, &s.tablet, signed).await;
}

#[tokio::test]
async fn a_security_officer_revokes_anyones_passkey() {
    let app = TestApp::spawn().await;
    let (jean, mut jean_key) = app.professional_device(JEAN_MARTIN_RPPS).await;
    let listed: Vec<CredentialView> = ok_json(jean.get("/api/credentials").await).await;
    let passkey = listed
        .iter()
        .find(|c| c.kind == CredentialKind::Passkey)
        .expect("passkey")
        .id;
    let (claire, _) = app.professional_device(CLAIRE_BERNARD_RPPS).await;
    let path = format!("/api/security/credentials/{passkey}");
    // Not yet an officer.
    assert_eq!(
        api_error(delete(&claire, &path).await, StatusCode::FORBIDDEN)
            .await
            .code,
        ErrorCode::Forbidden
    );
    role_grant::Entity::insert(role_grant::ActiveModel {
        professional_id: Set(app.professional_id(CLAIRE_BERNARD_RPPS).await),
        role: Set(vigie_backend::routes::security::ROLE.into()),
        granted_at: Set(app.state.now()),
    })
    .exec(&app.state.db)
    .await
    .expect("grant");
    let signed = app
        .signed_challenge(&app.device().client, JEAN_MARTIN_RPPS, &mut jean_key)
        .await;
    assert_eq!(
        delete(&claire, &path).await.status(),
        StatusCode::NO_CONTENT
    );
    professional_key_refused(&app, signed, &mut jean_key).await;
    assert_eq!(delete(&claire, &path).await.status(), StatusCode::NOT_FOUND);
}

/// The token of the "Ce n'est pas moi" link in the latest new-credential mail.
async fn added_mail_token(app: &TestApp) -> String {
    let mail = app
        .outbox()
        .await
        .into_iter()
        .rev()
        .find(|m| m.subject.contains("nouvel appareil"))
        .expect("new-credential mail");
    assert!(
        mail.body.contains("/appareils/signalement#jeton="),
        "{}",
        mail.body
    );
    assert!(mail.body.contains("Téléphone"), "{}", mail.body);
    mail.body
        .split("#jeton=")
        .nth(1)
        .expect("link")
        .split_whitespace()
        .next()
        .expect("token")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_added_mail_link_revokes_at_once_exactly_once() {
    let app = TestApp::spawn().await;
    let (device, mut first, mut second) = jean_with_two_keys(&app).await;
    let token = added_mail_token(&app).await;
    let signed = app
        .signed_challenge(&app.device().client, JEAN_MARTIN_RPPS, &mut second)
        .await;
    let urls = app.instances().await;
    let answers = join_all((0..50).map(|i| {
        let d = app.device_on(&urls[i % urls.len()]);
        let token = token.clone();
        async move {
            d.post("/api/credentials/report", &json!({ "token": token }))
                .await
        }
    }))
    .await;
    let statuses: Vec<StatusCode> = answers.iter().map(|r| r.status()).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::NO_CONTENT)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::NO_CONTENT || *s == StatusCode::NOT_FOUND)
    );
    // The second key (the one mailed last) is revoked, with the phone activated with it; the
    // first still signs in. An incident is open for the security team.
    professional_key_refused(&app, signed, &mut second).await;
    ok_json::<SessionState>(app.sign_in_response(JEAN_MARTIN_RPPS, &mut first).await).await;
    let listed: Vec<CredentialView> = ok_json(device.get("/api/credentials").await).await;
    assert_eq!(
        (
            listed
                .iter()
                .filter(|c| c.kind == CredentialKind::Passkey)
                .count(),
            listed
                .iter()
                .filter(|c| c.kind == CredentialKind::Phone)
                .count()
        ),
        (1, 1)
    );
    let incidents = incident::Entity::find()
        .filter(incident::Column::Kind.eq("credential_fraud_report"))
        .all(&app.state.db)
        .await
        .expect("query");
    assert_eq!(incidents.len(), 1);
}

#[tokio::test]
async fn the_added_mail_reaches_the_smtp_relay_with_its_link() {
    let (port, received) = crate::mail::smtp_listener().await;
    let app = TestApp::spawn_with(|s| {
        s.mail.smtp_host = Some("127.0.0.1".into());
        s.mail.smtp_port = port;
    })
    .await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while received.lock().expect("lock").is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mails = received.lock().expect("lock").clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = mails[0].replace("=\n", "");
    assert!(
        mail.contains("To: jean.martin@demo.vigie.example"),
        "{mail}"
    );
    assert!(mail.contains("appareils/signalement#jeton="), "{mail}");
}

/// Rows of the two old tables move into the one credential table, and still sign in.
#[tokio::test]
async fn the_migration_moves_both_old_tables_rows() {
    use sea_orm::ConnectionTrait;
    use sea_orm_migration::MigratorTrait;
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let before = credential::Entity::find()
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("row");
    // Back to the two tables (the professional's key goes to `passkey`), plus a staff key.
    let steps = vigie_backend::migration::Migrator::get_applied_migrations(&app.state.db)
        .await
        .expect("applied")
        .iter()
        .rev()
        .position(|m| m.name() == "m20261129_000015_credentials")
        .expect("applied")
        + 1;
    vigie_backend::migration::Migrator::down(&app.state.db, Some(steps as u32))
        .await
        .expect("back");
    let staff: Uuid = vigie_backend::entities::staff_member::Entity::find()
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("a staff member")
        .id;
    let staff_key = Uuid::new_v4();
    app.state
        .db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            app.state.db.get_database_backend(),
            match app.state.db.get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    "INSERT INTO staff_passkey (id, staff_member_id, credential_id, credential, \
                     label, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)"
                }
                _ => {
                    "INSERT INTO staff_passkey (id, staff_member_id, credential_id, credential, \
                     label, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, NULL)"
                }
            },
            [
                staff_key.into(),
                staff.into(),
                "ancienne-cle".into(),
                before.passkey.clone().into(),
                "Tablette".into(),
                app.state.now().into(),
            ],
        ))
        .await
        .expect("old staff row");
    vigie_backend::migration::Migrator::up(&app.state.db, None)
        .await
        .expect("forward");
    let rows = credential::Entity::find()
        .all(&app.state.db)
        .await
        .expect("query");
    assert_eq!(rows.len(), 2);
    let moved = rows
        .iter()
        .find(|r| r.id == before.id)
        .expect("professional's key");
    assert_eq!(
        (
            moved.owner_kind,
            moved.owner_id,
            &moved.passkey,
            &moved.label
        ),
        (
            OwnerKind::Professional,
            before.owner_id,
            &before.passkey,
            &before.label
        )
    );
    let theirs = rows.iter().find(|r| r.id == staff_key).expect("staff key");
    assert_eq!(
        (theirs.owner_kind, theirs.owner_id),
        (OwnerKind::Staff, staff)
    );
    ok_json::<SessionState>(app.sign_in_response(JEAN_MARTIN_RPPS, &mut key).await).await;
}
