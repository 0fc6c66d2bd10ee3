//! Offline entry through the real API: the permit a device gets while online, its limits tried
//! as an attacker would (50 syncs at once, on PostgreSQL across two instances), forged and
//! misdirected permits, expiry and revocation on both sides of their instant, idempotent sync,
//! conflicts recorded flagged and listed "À vérifier", and any interleaving of two devices'
//! queues with online entries for the same patient (a property test).

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;
use vigie_backend::{
    config::Settings,
    demo::{CLAIRE_BERNARD_RPPS, JEAN_MARTIN_RPPS},
    entities::{audit_event, injection, offline_entry, offline_permit},
};
use vigie_shared::{
    ErrorCode,
    api::{
        offline::{OfflinePermit, ReviewItem, ReviewReason, SyncOutcome, SyncReport},
        vaccination::{LotView, VaccinationContext, VaccinationRecorded},
    },
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::{
    helpers::{Device, TestApp, api_error, ok_json},
    invariants::{Answer, N, fire, nir, pick},
};

/// Dr Jean Martin signed in on his round's tablet, with a lot and the tablet's permit.
pub struct Field {
    pub app: TestApp,
    pub structure_id: Uuid,
    pub lot: LotView,
    pub key: SoftPasskey,
    pub device: Uuid,
    pub permit: OfflinePermit,
}

pub async fn field(configure: impl FnOnce(&mut Settings)) -> Field {
    let app = TestApp::spawn_with(configure).await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    let context: VaccinationContext = ok_json(app.get("/api/vaccination/context").await).await;
    let structure_id = context.structures[0].id;
    let expires_on = app.state.now().date_naive() + Duration::days(300);
    let lot: LotView = ok_json(
        app.post(
            &format!("/api/structures/{structure_id}/lots"),
            &json!({ "product_code": "comirnaty", "number": "ROUND1", "expires_on": expires_on, "doses_received": 100000 }),
        )
        .await,
    )
    .await;
    let device = Uuid::new_v4();
    let permit = ok_json(
        app.post(
            "/api/offline/permits",
            &json!({ "device_id": device, "device_name": "Tablette de tournée" }),
        )
        .await,
    )
    .await;
    Field {
        app,
        structure_id,
        lot,
        key,
        device,
        permit,
    }
}

/// An entry the device queued for a new patient (NIR `nir`: a woman born in August 1955).
fn queued_new(f: &Field, nir: &str, at: DateTime<Utc>) -> Value {
    json!({
        "permit": f.permit.token,
        "device_id": f.device,
        "device_time": at,
        "expected_dose_number": 1,
        "vaccination": {
            "idempotency_key": Uuid::new_v4(),
            "structure_id": f.structure_id,
            "patient": {
                "kind": "new", "nir": nir, "family_name": "Roux", "given_names": "Lucie",
                "birth_date": "1955-08-20", "sex": "female", "residence_department": "77",
                "esms_finess": null
            },
            "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
            "injection": { "product_code": "comirnaty", "lot_id": f.lot.id, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": [] }
        }
    })
}

/// An entry for a patient whose file the device had cached, expecting dose `expected`.
fn queued_returning(
    permit: &OfflinePermit,
    device: Uuid,
    f: &Field,
    patient: Uuid,
    expected: i32,
    at: DateTime<Utc>,
) -> Value {
    json!({
        "permit": permit.token,
        "device_id": device,
        "device_time": at,
        "expected_dose_number": expected,
        "vaccination": {
            "idempotency_key": Uuid::new_v4(),
            "structure_id": f.structure_id,
            "patient": { "kind": "existing", "id": patient },
            "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
            "injection": { "product_code": "comirnaty", "lot_id": f.lot.id, "site": "right_deltoid", "administered_at": null, "confirmed_warnings": [] }
        }
    })
}

async fn sync_on(client: &reqwest::Client, base: &url::Url, entries: &[Value]) -> SyncReport {
    let r = client
        .post(base.join("/api/offline/sync").expect("url"))
        .json(&json!({ "entries": entries }))
        .send()
        .await
        .expect("request");
    ok_json(r).await
}

async fn sync(f: &Field, entries: &[Value]) -> SyncReport {
    sync_on(&f.app.client, &f.app.base, entries).await
}

async fn injections_on(app: &TestApp, lot: Uuid) -> u64 {
    injection::Entity::find()
        .filter(injection::Column::LotId.eq(lot))
        .count(&app.state.db)
        .await
        .expect("count")
}

async fn permit_row(app: &TestApp, id: Uuid) -> offline_permit::Model {
    offline_permit::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("permit")
}

#[tokio::test]
async fn a_device_gets_one_signed_permit_per_session_within_its_limits() {
    let f = field(|_| {}).await;
    let p = &f.permit;
    assert_eq!((p.max_entries, p.used_entries), (50, 0));
    assert_eq!(p.holder, "Dr Jean Martin");
    assert_eq!(p.device_name, "Tablette de tournée");
    let now = f.app.state.now();
    // 12 hours, and never after the session's absolute limit.
    let session = vigie_backend::entities::session::Entity::find()
        .all(&f.app.state.db)
        .await
        .expect("sessions")
        .into_iter()
        .max_by_key(|s| s.created_at)
        .expect("session");
    assert!(p.expires_at <= session.absolute_expires_at);
    assert!(p.expires_at <= now + Duration::hours(12) && p.expires_at > now);
    // Asked again (every app start): the same permit.
    let again: OfflinePermit = ok_json(
        f.app
            .post(
                "/api/offline/permits",
                &json!({ "device_id": f.device, "device_name": "Tablette de tournée" }),
            )
            .await,
    )
    .await;
    assert_eq!((again.id, &again.token), (p.id, &p.token));
    // The same session for another device: refused (one permit per session).
    let other = api_error(
        f.app
            .post(
                "/api/offline/permits",
                &json!({ "device_id": Uuid::new_v4(), "device_name": "Autre" }),
            )
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(other.code, ErrorCode::Conflict);
    // Hostile device names: a direction override, 81 characters, 64 KiB.
    for name in ["Tablette\u{202E}", &"x".repeat(81), &"y".repeat(65_536)] {
        let r = f
            .app
            .post(
                "/api/offline/permits",
                &json!({ "device_id": f.device, "device_name": name }),
            )
            .await;
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    let named = "z".repeat(80);
    let device = f.app.professional_device(JEAN_MARTIN_RPPS).await.0;
    let ok: OfflinePermit = ok_json(
        device
            .post(
                "/api/offline/permits",
                &json!({ "device_id": Uuid::new_v4(), "device_name": named }),
            )
            .await,
    )
    .await;
    assert_ne!(ok.id, p.id, "another session, another permit");
    // My permits: both, listed with who holds them.
    let mine: Vec<OfflinePermit> = ok_json(f.app.get("/api/offline/permits").await).await;
    assert_eq!(mine.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_permit_lets_exactly_its_entries_land_when_fifty_syncs_arrive_at_once() {
    let f = field(|s| s.offline_permit_entries = 5).await;
    let urls = f.app.instances().await;
    let at = f.app.state.now();
    let answers: Vec<Answer> = fire(
        (0..N)
            .map(|i| {
                let url = pick(&urls, i).join("/api/offline/sync").expect("url");
                let body = json!({ "entries": [queued_new(&f, &nir(200 + i), at)] });
                let client = f.app.client.clone();
                async move { client.post(url).json(&body).send().await.expect("request") }
            })
            .collect(),
    )
    .await;
    let mut recorded = 0;
    let mut refused = 0;
    for a in &answers {
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let report: SyncReport = serde_json::from_value(a.body.clone()).expect("report");
        match report.results[0].outcome {
            SyncOutcome::Recorded => recorded += 1,
            SyncOutcome::Refused => {
                refused += 1;
                let message = report.results[0].message.as_deref().unwrap_or_default();
                assert!(message.contains("épuisée"), "{message}");
            }
            SyncOutcome::Flagged => panic!("nothing to flag here"),
        }
    }
    assert_eq!((recorded, refused), (5, N - 5));
    assert_eq!(injections_on(&f.app, f.lot.id).await, 5);
    assert_eq!(permit_row(&f.app, f.permit.id).await.used_entries, 5);
    // The refusals are not dropped: the professional sees each of them.
    let review: Vec<ReviewItem> = ok_json(f.app.get("/api/offline/review").await).await;
    assert_eq!(review.len(), N - 5);
    assert!(review.iter().all(|r| r.outcome == SyncOutcome::Refused));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_queue_sent_fifty_times_at_once_lands_once_in_order() {
    let f = field(|_| {}).await;
    let urls = f.app.instances().await;
    let at = f.app.state.now();
    let queue: Vec<Value> = (0..3)
        .map(|i| queued_new(&f, &nir(300 + i), at + Duration::seconds(i as i64)))
        .collect();
    let answers: Vec<Answer> = fire(
        (0..N)
            .map(|i| {
                let url = pick(&urls, i).join("/api/offline/sync").expect("url");
                let body = json!({ "entries": queue });
                let client = f.app.client.clone();
                async move { client.post(url).json(&body).send().await.expect("request") }
            })
            .collect(),
    )
    .await;
    let first: SyncReport = serde_json::from_value(answers[0].body.clone()).expect("report");
    for a in &answers {
        let report: SyncReport = serde_json::from_value(a.body.clone()).expect("report");
        // Every copy gets the same answer, in the queue's order.
        assert_eq!(report, first);
    }
    for (result, entry) in first.results.iter().zip(&queue) {
        assert_eq!(result.outcome, SyncOutcome::Recorded);
        assert_eq!(
            result.idempotency_key.to_string(),
            entry["vaccination"]["idempotency_key"]
                .as_str()
                .expect("key")
        );
    }
    assert_eq!(injections_on(&f.app, f.lot.id).await, 3);
    assert_eq!(permit_row(&f.app, f.permit.id).await.used_entries, 3);
    // Recorded with both times and the proof of who entered it, on which device.
    let kept = offline_entry::Entity::find()
        .all(&f.app.state.db)
        .await
        .expect("entries");
    assert_eq!(kept.len(), 3);
    assert!(
        kept.iter()
            .all(|e| e.received_at >= e.device_time - Duration::seconds(5))
    );
    f.app.sealed().await;
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("vaccination.recorded"))
        .all(&f.app.state.db)
        .await
        .expect("audit");
    assert_eq!(audited.len(), 3);
    for e in audited {
        let details: Value = serde_json::from_str(&e.details).expect("json");
        assert_eq!(details["offline"]["permit"], json!(f.permit.id));
        assert_eq!(details["offline"]["device"], json!(f.device));
    }
    // 51 entries in one request: refused as a whole; 50 (the three again and 47 new): taken.
    let many: Vec<Value> = (0..51).map(|i| queued_new(&f, &nir(400 + i), at)).collect();
    let r = f
        .app
        .post("/api/offline/sync", &json!({ "entries": many }))
        .await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::InvalidInput
    );
    let mut fifty = queue.clone();
    fifty.extend((0..47).map(|i| queued_new(&f, &nir(460 + i), at)));
    let report = sync(&f, &fifty).await;
    assert_eq!(report.results.len(), 50);
    assert!(
        report
            .results
            .iter()
            .all(|r| r.outcome == SyncOutcome::Recorded)
    );
    assert_eq!(permit_row(&f.app, f.permit.id).await.used_entries, 50);
    assert_eq!(injections_on(&f.app, f.lot.id).await, 50);
}

#[tokio::test]
async fn entries_made_before_the_permit_ends_land_and_those_after_are_refused() {
    let mut f = field(|_| {}).await;
    let end = f.permit.expires_at;
    let before = queued_new(&f, &nir(500), end - Duration::seconds(1));
    let after = queued_new(&f, &nir(501), end);
    // Synced later, in a new session (the first one expired meanwhile).
    f.app.clock().advance(Duration::hours(13));
    f.app.sign_in(JEAN_MARTIN_RPPS, &mut f.key).await;
    let report = sync(&f, &[before, after]).await;
    assert_eq!(report.results[0].outcome, SyncOutcome::Recorded);
    assert_eq!(report.results[1].outcome, SyncOutcome::Refused);
    let message = report.results[1].message.as_deref().unwrap_or_default();
    assert!(message.contains("expiration"), "{message}");
    // The recorded dose is dated when the device saved it, received now.
    let dose = report.results[0]
        .recorded
        .as_ref()
        .and_then(|r| r.injection.as_ref())
        .expect("injection");
    assert_eq!(dose.administered_at, end - Duration::seconds(1));
    // An entry dated before its permit, or in the future: refused too.
    let early = queued_new(&f, &nir(502), f.permit.issued_at - Duration::minutes(10));
    let future = queued_new(&f, &nir(503), f.app.state.now() + Duration::minutes(10));
    let report = sync(&f, &[early, future]).await;
    assert!(
        report
            .results
            .iter()
            .all(|r| r.outcome == SyncOutcome::Refused)
    );
}

#[tokio::test]
async fn a_revoked_permit_flags_entries_made_before_and_refuses_those_after() {
    let f = field(|_| {}).await;
    let made = f.app.state.now();
    let earlier = queued_new(&f, &nir(600), made);
    f.app.clock().advance(Duration::minutes(1));
    // Someone else cannot revoke it (it does not exist for them).
    let outsider = f.app.professional_device(CLAIRE_BERNARD_RPPS).await.0;
    let r = outsider
        .post_empty(&format!("/api/offline/permits/{}/revoke", f.permit.id))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let revoked: OfflinePermit = ok_json(
        f.app
            .post(
                &format!("/api/offline/permits/{}/revoke", f.permit.id),
                &json!({}),
            )
            .await,
    )
    .await;
    let at = revoked.revoked_at.expect("revoked");
    f.app.clock().advance(Duration::minutes(1));
    let again: OfflinePermit = ok_json(
        f.app
            .post(
                &format!("/api/offline/permits/{}/revoke", f.permit.id),
                &json!({}),
            )
            .await,
    )
    .await;
    assert_eq!(
        again.revoked_at,
        Some(at),
        "the first revocation time stays"
    );
    let later = queued_new(&f, &nir(601), at);
    let report = sync(&f, &[earlier, later]).await;
    assert_eq!(report.results[0].outcome, SyncOutcome::Flagged);
    assert_eq!(report.results[0].reasons, vec![ReviewReason::PermitRevoked]);
    assert_eq!(report.results[1].outcome, SyncOutcome::Refused);
    assert!(
        report.results[1]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("révocation"))
    );
    let review: Vec<ReviewItem> = ok_json(f.app.get("/api/offline/review").await).await;
    assert_eq!(review.len(), 2);
    assert_eq!(review[0].device_name, "Tablette de tournée");
    assert!(review[0].injection.is_some());
    assert!(review[1].injection.is_none());
}

#[tokio::test]
async fn forged_foreign_and_misdirected_permits_are_refused_and_nothing_lands() {
    let f = field(|_| {}).await;
    let at = f.app.state.now();
    let mut forged = queued_new(&f, &nir(700), at);
    let token = f.permit.token.clone();
    let (body, mac) = token.split_once('.').expect("token");
    // A signature changed, and a body changed (a bigger allowance) under the old signature.
    let flipped = format!("{body}.{}", mac.chars().rev().collect::<String>());
    forged["permit"] = json!(flipped);
    let mut inflated = queued_new(&f, &nir(701), at);
    use base64::Engine;
    let mut signed: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .expect("base64"),
    )
    .expect("json");
    signed["max"] = json!(5000);
    let body2 = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&signed).expect("json"));
    inflated["permit"] = json!(format!("{body2}.{mac}"));
    let mut elsewhere = queued_new(&f, &nir(702), at);
    elsewhere["device_id"] = json!(Uuid::new_v4());
    let report = sync(&f, &[forged, inflated, elsewhere]).await;
    for r in &report.results {
        assert_eq!(r.outcome, SyncOutcome::Refused, "{r:?}");
        assert!(r.message.is_some());
    }
    // Another professional sending Jean Martin's permit.
    let (claire, _) = f.app.professional_device(CLAIRE_BERNARD_RPPS).await;
    let stolen = queued_new(&f, &nir(703), at);
    let r: SyncReport = ok_json(
        claire
            .post("/api/offline/sync", &json!({ "entries": [stolen] }))
            .await,
    )
    .await;
    assert_eq!(r.results[0].outcome, SyncOutcome::Refused);
    assert_eq!(injections_on(&f.app, f.lot.id).await, 0);
    assert_eq!(permit_row(&f.app, f.permit.id).await.used_entries, 0);
}

#[tokio::test]
async fn what_changed_meanwhile_lands_flagged_and_waits_in_the_review_list() {
    let f = field(|_| {}).await;
    // A patient with a first dose, whose file the tablet cached while online.
    let first: VaccinationRecorded = ok_json(
        f.app
            .post(
                "/api/vaccinations",
                &crate::vaccination::first_dose_at(f.structure_id, f.lot.id),
            )
            .await,
    )
    .await;
    let patient = first.patient_id;
    let at = f.app.state.now() + Duration::minutes(1);
    f.app.clock().advance(Duration::minutes(2));
    // Offline: the tablet records the second dose (expected rank 2).
    let offline = queued_returning(&f.permit, f.device, &f, patient, 2, at);
    // Meanwhile, the patient got a dose elsewhere, online (warnings confirmed).
    let other = f.app.professional_device(JEAN_MARTIN_RPPS).await.0;
    let elsewhere = json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": f.structure_id,
        "patient": { "kind": "existing", "id": patient },
        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
        "injection": { "product_code": "comirnaty", "lot_id": f.lot.id, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": ["interval_too_short"] }
    });
    assert_eq!(
        other.post("/api/vaccinations", &elsewhere).await.status(),
        StatusCode::OK
    );
    // And the lot was withdrawn before a second offline entry syncs.
    let second = queued_new(&f, &nir(800), at + Duration::seconds(1));
    let report = sync(&f, &[offline]).await;
    let r = &report.results[0];
    assert_eq!(r.outcome, SyncOutcome::Flagged);
    assert!(
        r.reasons.contains(&ReviewReason::HistoryChanged),
        "{:?}",
        r.reasons
    );
    assert!(
        r.reasons.contains(&ReviewReason::UnconfirmedWarnings),
        "{:?}",
        r.reasons
    );
    let dose = r
        .recorded
        .as_ref()
        .and_then(|x| x.injection.as_ref())
        .expect("recorded");
    assert_eq!(
        dose.dose_number, 3,
        "ranked on the history as it is now, nothing overwritten"
    );
    f.app
        .post(
            &format!("/api/lots/{}/active", f.lot.id),
            &json!({ "active": false }),
        )
        .await;
    let report = sync(&f, &[second]).await;
    assert_eq!(report.results[0].outcome, SyncOutcome::Flagged);
    assert_eq!(report.results[0].reasons, vec![ReviewReason::LotUnusable]);
    // Three doses for the patient: none lost, none merged.
    let count = injection::Entity::find()
        .filter(injection::Column::PatientId.eq(patient))
        .count(&f.app.state.db)
        .await
        .expect("count");
    assert_eq!(count, 3);

    let review: Vec<ReviewItem> = ok_json(f.app.get("/api/offline/review").await).await;
    assert_eq!(review.len(), 2);
    assert!(
        review[0]
            .patient
            .as_deref()
            .is_some_and(|p| p.contains("DURAND"))
    );
    // Only its professional marks it as seen; once is enough.
    let (claire, _) = f.app.professional_device(CLAIRE_BERNARD_RPPS).await;
    let r = claire
        .post_empty(&format!("/api/offline/review/{}/done", review[0].id))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for _ in 0..2 {
        let r = f
            .app
            .post(
                &format!("/api/offline/review/{}/done", review[0].id),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let left: Vec<ReviewItem> = ok_json(f.app.get("/api/offline/review").await).await;
    assert_eq!(left.len(), 1);
}

/// One step of an interleaving: an online save, or a device sending its queue as it stands
/// after its `n` first entries (sending again what it already sent, as after a lost answer).
#[derive(Debug, Clone, Copy)]
enum Step {
    Online(usize),
    DeviceA(usize),
    DeviceB(usize),
}

const PER_SOURCE: usize = 2;

fn steps() -> Vec<Step> {
    let mut all = Vec::new();
    for i in 0..PER_SOURCE {
        all.push(Step::Online(i));
        all.push(Step::DeviceA(i + 1));
        all.push(Step::DeviceB(i + 1));
    }
    // A lost answer: each device sends its whole queue once more somewhere.
    all.push(Step::DeviceA(PER_SOURCE));
    all.push(Step::DeviceB(PER_SOURCE));
    all
}

/// Runs one interleaving on a fresh server; returns the keys recorded and the flagged ones.
async fn interleave(order: Vec<Step>) -> (Vec<Uuid>, usize) {
    let f = field(|_| {}).await;
    let first: VaccinationRecorded = ok_json(
        f.app
            .post(
                "/api/vaccinations",
                &crate::vaccination::first_dose_at(f.structure_id, f.lot.id),
            )
            .await,
    )
    .await;
    let patient = first.patient_id;
    // Device B: the same professional on a second tablet, with its own permit.
    let b: Device = f.app.professional_device(JEAN_MARTIN_RPPS).await.0;
    let b_id = Uuid::new_v4();
    let b_permit: OfflinePermit = ok_json(
        b.post(
            "/api/offline/permits",
            &json!({ "device_id": b_id, "device_name": "Tablette B" }),
        )
        .await,
    )
    .await;
    let at = f.app.state.now();
    // Both cached the file with one dose: each expects the next ones of its own queue.
    let queue_a: Vec<Value> = (0..PER_SOURCE)
        .map(|i| queued_returning(&f.permit, f.device, &f, patient, 2 + i as i32, at))
        .collect();
    let queue_b: Vec<Value> = (0..PER_SOURCE)
        .map(|i| queued_returning(&b_permit, b_id, &f, patient, 2 + i as i32, at))
        .collect();
    let online: Vec<Value> = (0..PER_SOURCE)
        .map(|_| {
            json!({
                "idempotency_key": Uuid::new_v4(),
                "structure_id": f.structure_id,
                "patient": { "kind": "existing", "id": patient },
                "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
                "injection": { "product_code": "comirnaty", "lot_id": f.lot.id, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": ["interval_too_short"] }
            })
        })
        .collect();
    let mut results = std::collections::HashMap::new();
    for step in order {
        match step {
            Step::Online(i) => {
                let r = f.app.post("/api/vaccinations", &online[i]).await;
                assert_eq!(
                    r.status(),
                    StatusCode::OK,
                    "{}",
                    r.text().await.unwrap_or_default()
                );
            }
            Step::DeviceA(n) => {
                for r in sync(&f, &queue_a[..n]).await.results {
                    results.insert(r.idempotency_key, r);
                }
            }
            Step::DeviceB(n) => {
                for r in sync_on(&b.client, &f.app.base, &queue_b[..n]).await.results {
                    results.insert(r.idempotency_key, r);
                }
            }
        }
    }
    // None lost, none refused, each once; flagged exactly when the rank changed meanwhile.
    assert_eq!(results.len(), 2 * PER_SOURCE);
    let mut flagged = 0;
    for (entry, queue) in queue_a.iter().chain(&queue_b).zip(0..) {
        let key: Uuid =
            serde_json::from_value(entry["vaccination"]["idempotency_key"].clone()).expect("key");
        let r = &results[&key];
        assert_ne!(r.outcome, SyncOutcome::Refused, "{queue} {r:?}");
        let dose = r
            .recorded
            .as_ref()
            .and_then(|x| x.injection.as_ref())
            .expect("dose");
        let expected = entry["expected_dose_number"].as_i64().expect("expected") as i32;
        assert_eq!(
            r.reasons.contains(&ReviewReason::HistoryChanged),
            dose.dose_number != expected,
            "{r:?}"
        );
        if r.outcome == SyncOutcome::Flagged {
            flagged += 1;
        }
    }
    let total = injection::Entity::find()
        .filter(injection::Column::PatientId.eq(patient))
        .all(&f.app.state.db)
        .await
        .expect("doses");
    assert_eq!(total.len(), 1 + 3 * PER_SOURCE, "every entry, once");
    // Every dose has its own rank: 1 to the count, whatever the order of arrival.
    let mut ranks: Vec<i32> = total.iter().map(|i| i.dose_number).collect();
    ranks.sort();
    assert_eq!(ranks, (1..=(1 + 3 * PER_SOURCE) as i32).collect::<Vec<_>>());
    let mut keys: Vec<Uuid> = results.keys().copied().collect();
    keys.sort();
    (keys, flagged)
}

/// Any interleaving of two devices' offline queues (each resent once) with online entries for
/// the same patient lands every entry exactly once, flags exactly those whose rank changed, and
/// drops none.
#[test]
fn any_interleaving_of_two_devices_and_online_entries_lands_every_entry_once() {
    use proptest::{
        strategy::Strategy,
        test_runner::{Config, TestRunner},
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut runner = TestRunner::new(Config {
        cases: 8,
        failure_persistence: None,
        ..Config::default()
    });
    let orders = proptest::strategy::Just(steps()).prop_shuffle();
    runner
        .run(&orders, |order| {
            // A device's later prefix may come before its earlier one: that is a resend too.
            let (keys, _) = rt.block_on(interleave(order));
            assert_eq!(keys.len(), 2 * PER_SOURCE);
            Ok(())
        })
        .expect("every interleaving");
}
