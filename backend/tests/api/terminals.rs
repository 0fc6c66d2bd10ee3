//! Enrolled terminals through the real API: the structure's manager enrols a hall tablet's
//! device key (ECDSA P-256, here a software key playing WebCrypto's part), lists and revokes
//! it; a request the tablet signs over a fresh single-use nonce is shown on the phone with the
//! tablet's name and structure; anything else is "Poste inconnu" and atypical.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::{
    ecdsa::{Signature, SigningKey, signature::Signer},
    pkcs8::EncodePublicKey,
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;
use vigie_backend::{
    demo::{CLAIRE_BERNARD_RPPS, JEAN_MARTIN_RPPS},
    entities::approval_request,
};
use vigie_shared::{
    ErrorCode, Rpps,
    api::{
        approval::{ApprovalCreated, PendingApproval},
        delegation::StructureDetails,
        session::SessionSummary,
        terminal::{
            EnrolledTerminalView, SignedPurpose, TerminalIdentity, TerminalNonce, TerminalProof,
            signed_message,
        },
    },
};

use crate::{
    delegation::{approve_on, manager},
    helpers::{Device, TestApp, api_error, national_id, ok_json},
};

const MELUN: &str = "Centre de vaccination de Melun";
const UNKNOWN_REASON: &str = "Poste inconnu";

/// A hall tablet holding its device key, enrolled (or not) under `id`.
struct Tablet {
    device: Device,
    key: SigningKey,
    id: Uuid,
}

fn new_key() -> SigningKey {
    loop {
        if let Ok(k) = SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
            return k;
        }
    }
}

fn public_key(key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(
        key.verifying_key()
            .to_public_key_der()
            .expect("spki")
            .as_bytes(),
    )
}

async fn melun(manager: &Device) -> Uuid {
    let managed: Vec<StructureDetails> =
        ok_json(manager.get("/api/structures/managed").await).await;
    managed[0].id
}

async fn enrol(app: &TestApp, manager: &Device, structure: Uuid, name: &str) -> Tablet {
    let key = new_key();
    let r = manager
        .post(
            &format!("/api/structures/{structure}/terminals"),
            &json!({ "name": name, "public_key": public_key(&key) }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let enrolled: EnrolledTerminalView = ok_json(r).await;
    assert_eq!(enrolled.name, name);
    Tablet {
        device: app.device(),
        key,
        id: enrolled.id,
    }
}

fn rpps(i: usize) -> Rpps {
    let body = format!("{:010}", 4_000_000_000usize + i);
    (0..10)
        .find_map(|k| Rpps::parse(&format!("{body}{k}")).ok())
        .expect("one key fits")
}

impl Tablet {
    async fn nonce(&self) -> String {
        ok_json::<TerminalNonce>(
            self.device
                .post("/api/terminals/nonce", &json!({ "terminal_id": self.id }))
                .await,
        )
        .await
        .nonce
    }

    fn sign(&self, purpose: SignedPurpose, nonce: &str, subject: &str) -> TerminalProof {
        let signature: Signature = self
            .key
            .sign(signed_message(purpose, nonce, subject).as_bytes());
        TerminalProof {
            terminal_id: self.id,
            nonce: nonce.to_owned(),
            signature: URL_SAFE_NO_PAD.encode(signature.to_bytes()),
        }
    }

    async fn push_proof(&self, national_id: &str) -> TerminalProof {
        let nonce = self.nonce().await;
        self.sign(SignedPurpose::Push, &nonce, national_id)
    }

    /// Push sign-in for `national_id`, with this proof (or none).
    async fn ask_with(&self, national_id: &str, proof: Option<&TerminalProof>) -> ApprovalCreated {
        ok_json(
            self.device
                .post(
                    "/api/approvals",
                    &json!({ "national_id": national_id, "terminal_label": "Tablette du hall",
                        "terminal_proof": proof }),
                )
                .await,
        )
        .await
    }

    async fn ask_signed(&self, national_id: &str) -> ApprovalCreated {
        let proof = self.push_proof(national_id).await;
        self.ask_with(national_id, Some(&proof)).await
    }
}

async fn pending(phone: &Device, id: Uuid) -> PendingApproval {
    let list: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    list.into_iter()
        .find(|p| p.approval_id == id)
        .expect("the phone lists the request")
}

async fn row(app: &TestApp, id: Uuid) -> approval_request::Model {
    approval_request::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("read")
        .expect("request stored")
}

fn assert_unknown(row: &approval_request::Model) {
    assert_eq!(row.terminal_label, "Poste inconnu");
    assert_eq!(row.enrolled_terminal_id, None);
    assert_eq!(row.terminal_structure, None);
    assert!(row.atypical.contains(UNKNOWN_REASON), "{}", row.atypical);
}

#[tokio::test]
async fn the_manager_enrols_lists_and_revokes_only_their_structures_terminals() {
    let app = TestApp::spawn().await;
    let manager = manager(&app).await;
    let structure = melun(&manager).await;
    let path = format!("/api/structures/{structure}/terminals");

    // A name is required, and a readable P-256 key.
    let key = new_key();
    for (name, public) in [
        ("", public_key(&key)),
        ("https://vigie.example", public_key(&key)),
        ("Tablette 3", "pas une clé".to_owned()),
        ("Tablette 3", URL_SAFE_NO_PAD.encode([4u8; 65])),
    ] {
        let r = manager
            .post(&path, &json!({ "name": name, "public_key": public }))
            .await;
        assert_eq!(
            api_error(r, StatusCode::BAD_REQUEST).await.code,
            ErrorCode::InvalidInput
        );
    }
    let tablet = enrol(&app, &manager, structure, "Tablette 3").await;
    let listed: Vec<EnrolledTerminalView> = ok_json(manager.get(&path).await).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, tablet.id);
    assert_eq!(listed[0].structure_name, MELUN);
    assert_eq!(listed[0].revoked_at, None);

    // Another structure's manager (Claire Bernard, manager of Lyon only) neither lists nor
    // revokes Melun's terminals, and her own structure has none.
    let lyon = app.lyon_centre().await;
    vigie_backend::delegation::structures::grant_manager(
        &app.state.db,
        app.state.now(),
        &national_id(CLAIRE_BERNARD_RPPS),
        &vigie_shared::Finess::parse("690781810").expect("finess"),
    )
    .await
    .expect("grant");
    let (claire, _) = app.professional_device(CLAIRE_BERNARD_RPPS).await;
    let lyon_list: Vec<EnrolledTerminalView> = ok_json(
        claire
            .get(&format!("/api/structures/{lyon}/terminals"))
            .await,
    )
    .await;
    assert!(lyon_list.is_empty());
    let r = claire.get(&path).await;
    assert!(
        matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        r.status()
    );
    for revoke in [
        format!("{path}/{}/revoke", tablet.id),
        format!("/api/structures/{lyon}/terminals/{}/revoke", tablet.id),
    ] {
        let r = claire.post(&revoke, &json!({})).await;
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{}",
            r.status()
        );
    }
    // Nobody signed in: 401.
    assert_eq!(
        app.device().get(&path).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let still: Vec<EnrolledTerminalView> = ok_json(manager.get(&path).await).await;
    assert_eq!(still[0].revoked_at, None);

    // The tablet knows what it is, proven by its key.
    let nonce = tablet.nonce().await;
    let proof = tablet.sign(SignedPurpose::Identify, &nonce, &tablet.id.to_string());
    let me: TerminalIdentity =
        ok_json(tablet.device.post("/api/terminals/identify", &proof).await).await;
    assert_eq!(
        (me.name.as_str(), me.structure_name.as_str()),
        ("Tablette 3", MELUN)
    );
    // Once.
    let again = tablet.device.post("/api/terminals/identify", &proof).await;
    api_error(again, StatusCode::NOT_FOUND).await;

    // The manager revokes it: no nonce any more, and the audit says who did what.
    let revoked: EnrolledTerminalView = ok_json(
        manager
            .post(&format!("{path}/{}/revoke", tablet.id), &json!({}))
            .await,
    )
    .await;
    assert!(revoked.revoked_at.is_some());
    let r = tablet
        .device
        .post("/api/terminals/nonce", &json!({ "terminal_id": tablet.id }))
        .await;
    api_error(r, StatusCode::NOT_FOUND).await;
    app.sealed().await;
    let kinds: Vec<String> = vigie_backend::entities::audit_event::Entity::find()
        .all(&app.state.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(kinds.iter().any(|k| k == "terminal.enrolled"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "terminal.revoked"), "{kinds:?}");
}

#[tokio::test]
async fn a_signed_request_names_the_enrolled_terminal_and_by_day_is_not_atypical() {
    let app = TestApp::spawn().await;
    app.to_opening_hours();
    let manager = manager(&app).await;
    let structure = melun(&manager).await;
    let tablet = enrol(&app, &manager, structure, "Tablette 3").await;
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let jean = national_id(JEAN_MARTIN_RPPS);

    let created = tablet.ask_signed(jean.as_str()).await;
    let p = pending(&phone, created.approval_id).await;
    assert_eq!(
        p.terminal,
        "Tablette 3 — Centre de vaccination de Melun (poste enregistré)"
    );
    assert!(p.terminal_enrolled);
    assert_eq!(p.terminal_name.as_deref(), Some("Tablette 3"));
    assert_eq!(p.terminal_structure.as_deref(), Some(MELUN));
    assert_eq!(p.place, MELUN);
    assert!(p.atypical.is_empty(), "{:?}", p.atypical);

    // Approved and claimed: the session is named after the enrolled terminal in "Mes sessions"
    // (never after a label typed on the tablet).
    approve_on(&app, &phone, &mut key, &created).await;
    let claimed = tablet
        .device
        .post_empty(&format!("/api/approvals/{}/session", created.approval_id))
        .await;
    assert_eq!(claimed.status(), StatusCode::OK);
    let sessions: Vec<SessionSummary> = ok_json(tablet.device.get("/api/sessions").await).await;
    let mine = sessions.iter().find(|s| s.current).expect("this session");
    assert_eq!(
        mine.terminal.as_deref(),
        Some("Tablette 3 — Centre de vaccination de Melun (poste enregistré)")
    );
    tablet.device.post_empty("/api/session/logout").await;

    // The same tablet unsigned (its key lost, say): "Poste inconnu", atypical.
    let unsigned = tablet.ask_with(jean.as_str(), None).await;
    let p = pending(&phone, unsigned.approval_id).await;
    assert_eq!(p.terminal, "Poste inconnu");
    assert!(!p.terminal_enrolled);
    assert_eq!((p.terminal_name, p.terminal_structure), (None, None));
    assert!(
        p.atypical.iter().any(|r| r.starts_with(UNKNOWN_REASON)),
        "{:?}",
        p.atypical
    );
}

#[tokio::test]
async fn a_forged_replayed_misused_or_revoked_signature_is_an_unknown_terminal() {
    let app = TestApp::spawn().await;
    app.to_opening_hours();
    let manager = manager(&app).await;
    let structure = melun(&manager).await;
    let tablet = enrol(&app, &manager, structure, "Tablette 3").await;
    let ids: Vec<String> = (0..6)
        .map(|i| rpps(i).national_id().as_str().to_owned())
        .collect();

    // Signed by another key.
    let nonce = tablet.nonce().await;
    let forger = Tablet {
        device: app.device(),
        key: new_key(),
        id: tablet.id,
    };
    let forged = forger.sign(SignedPurpose::Push, &nonce, &ids[0]);
    let r = forger.ask_with(&ids[0], Some(&forged)).await;
    assert_unknown(&row(&app, r.approval_id).await);

    // A good signature for another identity, then for another purpose.
    let other = tablet.sign(SignedPurpose::Push, &nonce, &ids[0]);
    let r = tablet.ask_with(&ids[1], Some(&other)).await;
    assert_unknown(&row(&app, r.approval_id).await);
    let identify = tablet.sign(SignedPurpose::Identify, &nonce, &ids[2]);
    let r = tablet.ask_with(&ids[2], Some(&identify)).await;
    assert_unknown(&row(&app, r.approval_id).await);

    // Replayed: the first use names the tablet, the second proves nothing.
    let proof = tablet.sign(SignedPurpose::Push, &nonce, &ids[3]);
    let first = tablet.ask_with(&ids[3], Some(&proof)).await;
    assert_eq!(
        row(&app, first.approval_id).await.enrolled_terminal_id,
        Some(tablet.id)
    );
    tablet
        .device
        .post_empty(&format!("/api/approvals/{}/cancel", first.approval_id))
        .await;
    let replayed = app.device().on(&app.base);
    let r: ApprovalCreated = ok_json(
        replayed
            .post(
                "/api/approvals",
                &json!({ "national_id": ids[3], "terminal_proof": proof }),
            )
            .await,
    )
    .await;
    assert_unknown(&row(&app, r.approval_id).await);

    // Too late: a nonce lives a minute.
    let late = tablet.push_proof(&ids[4]).await;
    app.clock().advance(chrono::Duration::seconds(61));
    let r = tablet.ask_with(&ids[4], Some(&late)).await;
    assert_unknown(&row(&app, r.approval_id).await);

    // Revoked: a nonce taken before the revocation proves nothing after it.
    let before = tablet.push_proof(&ids[5]).await;
    ok_json::<EnrolledTerminalView>(
        manager
            .post(
                &format!("/api/structures/{structure}/terminals/{}/revoke", tablet.id),
                &json!({}),
            )
            .await,
    )
    .await;
    let r = tablet.ask_with(&ids[5], Some(&before)).await;
    assert_unknown(&row(&app, r.approval_id).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_uses_of_one_nonce_exactly_one_names_the_terminal() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let manager = manager(&app).await;
    let structure = melun(&manager).await;
    let tablet = enrol(&app, &manager, structure, "Tablette 3").await;

    // "Which terminal am I?" fifty times with one proof, on every instance: one answer.
    let nonce = tablet.nonce().await;
    let proof = tablet.sign(SignedPurpose::Identify, &nonce, &tablet.id.to_string());
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let device = app.device_on(&urls[i % urls.len()]);
            let proof = proof.clone();
            tokio::spawn(async move {
                device
                    .post("/api/terminals/identify", &proof)
                    .await
                    .status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::NOT_FOUND)
    );

    // Fifty push requests for fifty identities, each signed over one nonce: all are answered
    // alike, exactly one of them names the tablet.
    let nonce = tablet.nonce().await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let device = app.device_on(&urls[i % urls.len()]);
            let id = rpps(100 + i).national_id().as_str().to_owned();
            let proof = tablet.sign(SignedPurpose::Push, &nonce, &id);
            tokio::spawn(async move {
                device
                    .post(
                        "/api/approvals",
                        &json!({ "national_id": id, "terminal_proof": proof }),
                    )
                    .await
                    .status()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::OK);
    }
    let named = approval_request::Entity::find()
        .filter(approval_request::Column::EnrolledTerminalId.eq(tablet.id))
        .all(&app.state.db)
        .await
        .expect("read");
    assert_eq!(named.len(), 1);
}

#[tokio::test]
async fn many_identities_from_one_terminal_are_atypical_from_the_fifth() {
    let app = TestApp::spawn().await;
    app.to_opening_hours();
    let manager = manager(&app).await;
    let structure = melun(&manager).await;
    let (phone, _) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let jean = national_id(JEAN_MARTIN_RPPS);

    // Three other identities, then Jean: four in ten minutes, not atypical.
    let below = enrol(&app, &manager, structure, "Tablette 3").await;
    for i in 0..3 {
        below.ask_signed(rpps(200 + i).national_id().as_str()).await;
    }
    let fourth = below.ask_signed(jean.as_str()).await;
    let p = pending(&phone, fourth.approval_id).await;
    assert!(p.terminal_enrolled);
    assert!(p.atypical.is_empty(), "{:?}", p.atypical);
    below
        .device
        .post_empty(&format!("/api/approvals/{}/cancel", fourth.approval_id))
        .await;

    // Another tablet: four other identities, then Jean: the fifth.
    let at = enrol(&app, &manager, structure, "Tablette 4").await;
    for i in 0..4 {
        at.ask_signed(rpps(300 + i).national_id().as_str()).await;
    }
    let fifth = at.ask_signed(jean.as_str()).await;
    let p = pending(&phone, fifth.approval_id).await;
    assert!(p.terminal_enrolled);
    assert_eq!(
        p.atypical,
        vec!["Ce poste a demandé 5 identités différentes en 10 minutes".to_owned()]
    );
}

#[tokio::test]
async fn a_delegated_request_signed_by_an_enrolled_tablet_names_it() {
    let mut scene = crate::delegation::scene().await;
    let tablet = enrol(&scene.app, &scene.manager, scene.structure_id, "Tablette 3").await;
    ok_json::<vigie_shared::api::session::SessionState>(
        crate::delegation::staff_sign_in(&scene.app, &scene.tablet, &mut scene.tablet_key).await,
    )
    .await;
    let nonce = tablet.nonce().await;
    let proof = tablet.sign(SignedPurpose::Delegated, &nonce, &scene.jean_id.to_string());
    let created: ApprovalCreated = ok_json(
        scene
            .tablet
            .post(
                "/api/delegation/requests",
                &json!({ "professional_id": scene.jean_id, "terminal_proof": proof }),
            )
            .await,
    )
    .await;
    let p = pending(&scene.phone, created.approval_id).await;
    assert_eq!(p.terminal_name.as_deref(), Some("Tablette 3"));
    assert!(p.terminal.ends_with("(poste enregistré)"), "{}", p.terminal);
    assert!(p.terminal_enrolled);
    assert_eq!(p.terminal_structure.as_deref(), Some(MELUN));
    assert!(
        p.atypical.iter().all(|r| !r.starts_with(UNKNOWN_REASON)),
        "{:?}",
        p.atypical
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nonces_of_one_terminal_thirty_a_minute_counted_in_one_statement() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let manager = manager(&app).await;
    let structure = melun(&manager).await;
    let tablet = enrol(&app, &manager, structure, "Tablette 3").await;
    let fire = |n: usize| {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let device = app.device_on(&urls[i % urls.len()]);
                let id = tablet.id;
                tokio::spawn(async move {
                    device
                        .post("/api/terminals/nonce", &json!({ "terminal_id": id }))
                        .await
                })
            })
            .collect::<Vec<_>>();
        async move {
            let mut statuses = Vec::new();
            for t in tasks {
                let r = t.await.expect("task");
                let status = r.status();
                if status == StatusCode::TOO_MANY_REQUESTS {
                    assert_eq!(api_error(r, status).await.code, ErrorCode::RateLimited);
                }
                statuses.push(status);
            }
            statuses
        }
    };
    let statuses = fire(50).await;
    let granted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(granted, 30, "{statuses:?}");
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        20
    );
    // The next minute, more.
    app.clock().advance(chrono::Duration::seconds(61));
    tablet.nonce().await;
}
