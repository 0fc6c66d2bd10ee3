//! Vaccination traceability through the real API: first and next doses, warnings, lots,
//! idempotent retries, corrections within 24 h, who sees what, certificates and the PDF.

use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;
use vigie_backend::{
    demo::{CLAIRE_BERNARD_RPPS, JEAN_MARTIN_RPPS},
    entities::{audit_event, injection, injection_revision, practice, professional},
};
use vigie_shared::{
    ErrorCode,
    api::vaccination::{
        CertificateVerified, CertificateView, DosePreview, InjectionRevisionView, InjectionView,
        LotView, PatientFile, PatientLookupResult, PatientSummary, SigningCertificate,
        VaccinationContext, VaccinationRecorded, WarningCode,
    },
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::helpers::{TestApp, api_error, ok_json};

/// A valid NIR: a woman born in August 1955.
const NIR: &str = "255081416802538";

pub struct Hall {
    pub app: TestApp,
    pub structure_id: Uuid,
    pub lot: LotView,
    key: SoftPasskey,
}

impl Hall {
    /// `POST /api/vaccinations` with this body, from the signed-in tablet.
    pub async fn record(&self, body: &Value) -> reqwest::Response {
        self.app.post("/api/vaccinations", body).await
    }

    /// Time passes (the session would have expired): sign in again.
    pub async fn later(&mut self, by: Duration) {
        self.app.clock().advance(by);
        self.app.sign_in(JEAN_MARTIN_RPPS, &mut self.key).await;
    }
}

/// Dr Jean Martin signed in on the tablet, with a Comirnaty lot in the centre.
pub async fn hall() -> Hall {
    let app = TestApp::spawn().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    let context: VaccinationContext = ok_json(app.get("/api/vaccination/context").await).await;
    let structure_id = context.structures[0].id;
    // Expires before the demo lots: the lot of the day.
    let expires_on = app.state.now().date_naive() + Duration::days(200);
    let lot: LotView = ok_json(
        app.post(
            &format!("/api/structures/{structure_id}/lots"),
            &json!({ "product_code": "comirnaty", "number": "FK1234", "expires_on": expires_on, "doses_received": 100000 }),
        )
        .await,
    )
    .await;
    Hall {
        app,
        structure_id,
        lot,
        key,
    }
}

pub fn first_dose(h: &Hall, key: Uuid) -> Value {
    let mut body = first_dose_at(h.structure_id, h.lot.id);
    body["idempotency_key"] = json!(key);
    body
}

/// Camille Durand's first dose, in this structure from this lot.
pub fn first_dose_at(structure: Uuid, lot: Uuid) -> Value {
    json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": structure,
        "patient": {
            "kind": "new",
            "nir": NIR,
            "family_name": "Durand",
            "given_names": "Camille",
            "birth_date": "1955-08-20",
            "sex": "female",
            "residence_department": "77",
            "esms_finess": null
        },
        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
        "injection": { "product_code": "comirnaty", "lot_id": lot, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": [] }
    })
}

fn next_dose(h: &Hall, patient: Uuid, lot: Uuid, confirmed: Value) -> Value {
    json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": h.structure_id,
        "patient": { "kind": "existing", "id": patient },
        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
        "injection": { "product_code": "comirnaty", "lot_id": lot, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": confirmed }
    })
}

#[tokio::test]
async fn first_dose_then_the_returning_patients_second() {
    let mut h = hall().await;
    let found: PatientLookupResult = ok_json(
        h.app
            .post("/api/patients/lookup", &json!({ "nir": NIR }))
            .await,
    )
    .await;
    assert!(found.patient.is_none());

    let first: VaccinationRecorded = ok_json(h.record(&first_dose(&h, Uuid::new_v4())).await).await;
    let dose = first.injection.expect("injection recorded");
    assert_eq!(
        (dose.dose_number, dose.series_doses, dose.booster),
        (1, 2, false)
    );
    assert_eq!(dose.lot_number, "FK1234");
    assert_eq!(dose.vaccinator, "Dr Jean Martin");

    // The returning patient: found by NIR, identity and history prefilled.
    let found: PatientLookupResult = ok_json(
        h.app
            .post("/api/patients/lookup", &json!({ "nir": NIR }))
            .await,
    )
    .await;
    let file = found.patient.expect("patient found");
    assert_eq!(file.family_name, "DURAND");
    assert_eq!(file.nir_masked, "2 55 08 ** *** *** **");
    assert_eq!(file.injections.len(), 1);

    // Same day: the interval warning needs an explicit confirmation.
    let preview: DosePreview = ok_json(
        h.app
            .post(
                "/api/vaccinations/preview",
                &json!({ "structure_id": h.structure_id, "patient_id": file.id }),
            )
            .await,
    )
    .await;
    assert_eq!(preview.product_code, "comirnaty");
    assert_eq!(
        preview.lot_id,
        Some(h.lot.id),
        "the lot of the day is the default"
    );
    assert_eq!(preview.dose_number, 2);
    assert_eq!(preview.warnings[0].code, WarningCode::IntervalTooShort);
    let err = api_error(
        h.record(&next_dose(&h, file.id, h.lot.id, json!([]))).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(err.code, ErrorCode::ConfirmationRequired);

    // Three weeks later, nothing to confirm: dose 2/2.
    h.later(Duration::days(21)).await;
    let preview: DosePreview = ok_json(
        h.app
            .post(
                "/api/vaccinations/preview",
                &json!({ "structure_id": h.structure_id, "patient_id": file.id }),
            )
            .await,
    )
    .await;
    assert!(preview.warnings.is_empty(), "{:?}", preview.warnings);
    let second: VaccinationRecorded =
        ok_json(h.record(&next_dose(&h, file.id, h.lot.id, json!([]))).await).await;
    let dose = second.injection.expect("second dose");
    assert_eq!((dose.dose_number, dose.series_doses), (2, 2));
    let file: PatientFile = ok_json(h.app.get(&format!("/api/patients/{}", file.id)).await).await;
    assert_eq!(file.injections.len(), 2);

    // No NIR in the audit trail.
    h.app.sealed().await;
    let events = audit_event::Entity::find()
        .all(&h.app.state.db)
        .await
        .expect("audit");
    assert!(events.iter().any(|e| e.action == "vaccination.recorded"));
    assert!(
        events
            .iter()
            .all(|e| !e.details.contains(NIR) && e.subject.as_deref() != Some(NIR))
    );
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_first_answer() {
    let h = hall().await;
    let key = Uuid::new_v4();
    let body = first_dose(&h, key);
    let first: VaccinationRecorded = ok_json(h.record(&body).await).await;
    let again: VaccinationRecorded = ok_json(h.record(&body).await).await;
    assert_eq!(first, again);
    let count = injection::Entity::find()
        .count(&h.app.state.db)
        .await
        .expect("count");
    assert_eq!(count, 1, "the retry wrote nothing");
    // The same key with another content is refused.
    let mut other = body.clone();
    other["injection"]["site"] = json!("right_deltoid");
    let err = api_error(h.record(&other).await, StatusCode::CONFLICT).await;
    assert_eq!(err.code, ErrorCode::IdempotencyKeyReused);
}

#[tokio::test]
async fn expired_inactive_and_foreign_lots_are_refused() {
    let mut h = hall().await;
    // A lot expiring today can be used today, not in two days.
    let today = h.app.state.now().date_naive();
    let short: LotView = ok_json(
        h.app.post(
            &format!("/api/structures/{}/lots", h.structure_id),
            &json!({ "product_code": "comirnaty", "number": "SHORT1", "expires_on": today + Duration::days(1), "doses_received": 100000 }),
        )
        .await,
    )
    .await;
    h.later(Duration::days(3)).await;
    let mut body = first_dose(&h, Uuid::new_v4());
    body["injection"]["lot_id"] = json!(short.id);
    let err = api_error(h.record(&body).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(err.code, ErrorCode::LotUnusable);

    // Withdrawn lot.
    ok_json::<LotView>(
        h.app
            .post(
                &format!("/api/lots/{}/active", h.lot.id),
                &json!({ "active": false }),
            )
            .await,
    )
    .await;
    let err = api_error(
        h.record(&first_dose(&h, Uuid::new_v4())).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::LotUnusable);
    ok_json::<LotView>(
        h.app
            .post(
                &format!("/api/lots/{}/active", h.lot.id),
                &json!({ "active": true }),
            )
            .await,
    )
    .await;

    // A lot of another product.
    let spikevax: LotView = ok_json(
        h.app.post(
            &format!("/api/structures/{}/lots", h.structure_id),
            &json!({ "product_code": "spikevax", "number": "SPK1", "expires_on": chrono::Utc::now().date_naive() + chrono::Duration::days(730), "doses_received": 100000 }),
        )
        .await,
    )
    .await;
    let mut body = first_dose(&h, Uuid::new_v4());
    body["injection"]["lot_id"] = json!(spikevax.id);
    let err = api_error(h.record(&body).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(err.code, ErrorCode::LotUnusable);

    // An expired lot cannot even be added.
    let err = api_error(
        h.app.post(
            &format!("/api/structures/{}/lots", h.structure_id),
            &json!({ "product_code": "comirnaty", "number": "OLD1", "expires_on": "2020-01-01", "doses_received": 100000 }),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::LotUnusable);
}

#[tokio::test]
async fn corrections_within_24_hours_keep_the_earlier_version() {
    let mut h = hall().await;
    let recorded: VaccinationRecorded =
        ok_json(h.record(&first_dose(&h, Uuid::new_v4())).await).await;
    let dose = recorded.injection.expect("dose");
    h.later(Duration::hours(23) + Duration::minutes(59)).await;
    let corrected: InjectionView = ok_json(
        h.app
            .post(
                &format!("/api/injections/{}/correct", dose.id),
                &json!({ "reason": "Bras inversé à la saisie", "site": "right_deltoid" }),
            )
            .await,
    )
    .await;
    assert_eq!(corrected.version, 2);
    assert_eq!(corrected.site.code(), "right_deltoid");
    let history: Vec<InjectionRevisionView> = ok_json(
        h.app
            .get(&format!("/api/injections/{}/revisions", dose.id))
            .await,
    )
    .await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].before.site.code(), "left_deltoid");
    assert_eq!(history[0].reason, "Bras inversé à la saisie");

    // 24 h and a minute after the entry: closed.
    h.later(Duration::minutes(2)).await;
    let err = api_error(
        h.app
            .post(
                &format!("/api/injections/{}/invalidate", dose.id),
                &json!({ "reason": "Doublon" }),
            )
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(err.code, ErrorCode::CorrectionClosed);
    let revisions = injection_revision::Entity::find()
        .count(&h.app.state.db)
        .await
        .expect("count");
    assert_eq!(revisions, 1);
}

#[tokio::test]
async fn an_invalidated_dose_no_longer_counts() {
    let h = hall().await;
    let app = &h.app;
    let recorded: VaccinationRecorded = ok_json(
        app.post("/api/vaccinations", &first_dose(&h, Uuid::new_v4()))
            .await,
    )
    .await;
    let dose = recorded.injection.expect("dose");
    let invalidated: InjectionView = ok_json(
        app.post(
            &format!("/api/injections/{}/invalidate", dose.id),
            &json!({ "reason": "Saisie en double" }),
        )
        .await,
    )
    .await;
    assert_eq!(
        invalidated.status,
        vigie_shared::api::vaccination::InjectionStatus::Invalidated
    );
    let preview: DosePreview = ok_json(
        app.post(
            "/api/vaccinations/preview",
            &json!({ "structure_id": h.structure_id, "patient_id": recorded.patient_id }),
        )
        .await,
    )
    .await;
    assert_eq!(preview.dose_number, 1);
    assert!(preview.warnings.is_empty());
}

/// A professional practising elsewhere, signed in on their own device.
pub async fn outsider(app: &TestApp) -> crate::helpers::Device {
    let other_structure = app.lyon_centre().await;
    let claire = professional::Entity::find()
        .filter(professional::Column::Rpps.eq(CLAIRE_BERNARD_RPPS))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("claire");
    // Claire leaves Melun for Lyon.
    practice::Entity::delete_many()
        .filter(practice::Column::ProfessionalId.eq(claire.id))
        .exec(&app.state.db)
        .await
        .expect("leave");
    practice::Entity::insert(practice::ActiveModel {
        professional_id: Set(claire.id),
        structure_id: Set(other_structure),
    })
    .exec(&app.state.db)
    .await
    .expect("practice");
    app.professional_device(CLAIRE_BERNARD_RPPS).await.0
}

#[tokio::test]
async fn other_professionals_see_nothing_until_they_type_the_nir() {
    let h = hall().await;
    let recorded: VaccinationRecorded =
        ok_json(h.record(&first_dose(&h, Uuid::new_v4())).await).await;
    let dose = recorded.injection.expect("dose");
    let other = outsider(&h.app).await;
    let path = format!("/api/patients/{}", recorded.patient_id);
    let err = api_error(other.get(&path).await, StatusCode::NOT_FOUND).await;
    assert_eq!(err.code, ErrorCode::NotFound);
    for path in [
        format!("/api/patients/{}/certificate", recorded.patient_id),
        format!("/api/injections/{}/revisions", dose.id),
    ] {
        api_error(other.get(&path).await, StatusCode::NOT_FOUND).await;
    }
    let found: Vec<PatientSummary> = ok_json(
        other
            .post(
                "/api/patients/search",
                &json!({ "family_name": "Durand", "birth_date": "1955-08-20" }),
            )
            .await,
    )
    .await;
    assert!(found.is_empty(), "name search stays within my patients");
    // Not their entry: no correction.
    let err = api_error(
        other
            .post(
                &format!("/api/injections/{}/invalidate", dose.id),
                &json!({ "reason": "x" }),
            )
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(err.code, ErrorCode::NotFound);
    // Nor the centre's lots.
    api_error(
        other
            .get(&format!("/api/structures/{}/lots", h.structure_id))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // The patient in front of them: the full NIR opens the file, for this session.
    let looked: PatientLookupResult = ok_json(
        other
            .post("/api/patients/lookup", &json!({ "nir": NIR }))
            .await,
    )
    .await;
    assert!(looked.patient.is_some());
    ok_json::<PatientFile>(other.get(&path).await).await;
    let err = api_error(
        other
            .post(
                &format!("/api/injections/{}/invalidate", dose.id),
                &json!({ "reason": "x" }),
            )
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(err.code, ErrorCode::NotYourEntry, "not the author");

    // Anonymous: nothing at all.
    let anonymous = reqwest::Client::new();
    let r = anonymous
        .get(h.app.url(&path))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

fn certificate_der_b64(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>()
}

#[tokio::test]
async fn the_certificate_is_checked_by_an_independent_decoder() {
    let h = hall().await;
    let app = &h.app;
    let recorded: VaccinationRecorded = ok_json(
        app.post("/api/vaccinations", &first_dose(&h, Uuid::new_v4()))
            .await,
    )
    .await;
    let certificate: CertificateView = ok_json(
        app.get(&format!(
            "/api/patients/{}/certificate",
            recorded.patient_id
        ))
        .await,
    )
    .await;
    assert!(certificate.payload.starts_with("HC1:"));
    assert!(certificate.qr_svg.contains("<svg"));
    let published: SigningCertificate = ok_json(
        reqwest::Client::new()
            .get(app.url("/api/certificates/signing-certificate"))
            .send()
            .await
            .expect("public"),
    )
    .await;

    // dgc (crates.io) decodes and checks the signature with the published certificate.
    let mut trust = dgc::TrustList::default();
    trust
        .add_key_from_certificate(&certificate_der_b64(&published.certificate_pem))
        .expect("certificate");
    let (container, validity) = dgc::validate(&certificate.payload, &trust).expect("decodes");
    assert!(validity.is_valid(), "{validity}");
    let cert = container.certs.get(&1).expect("hcert");
    assert_eq!(cert.date_of_birth, "1955-08-20");
    assert_eq!(cert.name.surname_standard, "DURAND");
    let v = &cert.vaccines[0];
    assert_eq!(v.targeted_disease, "840539006");
    assert_eq!(v.medicinal_product, "EU/1/20/1528");
    assert_eq!(v.manufacturer, "ORG-100030215");
    assert_eq!(v.vaccine_prophylaxis, "1119349007");
    assert_eq!((v.dose_number, v.total_doses), (1, 2));
    assert_eq!(v.country, "FR");
    assert_eq!(v.id, certificate.uvci);

    // The public verification page's endpoint says the same, and refuses a tampered copy.
    let checked: CertificateVerified = ok_json(
        crate::helpers::browser(&app.base)
            .post(app.url("/api/certificates/verify"))
            .json(&json!({ "payload": certificate.payload }))
            .send()
            .await
            .expect("verify"),
    )
    .await;
    assert_eq!(checked.name, "DURAND Camille");
    assert_eq!(checked.vaccinations[0].product, "Comirnaty");
    let mut tampered = certificate.payload.clone();
    let last = tampered.pop().expect("char");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let r = crate::helpers::browser(&app.base)
        .post(app.url("/api/certificates/verify"))
        .json(&json!({ "payload": tampered }))
        .send()
        .await
        .expect("verify");
    api_error(r, StatusCode::BAD_REQUEST).await;

    // The PDF recap carries the patient and the lot.
    let r = app
        .get(&format!("/api/patients/{}/recap.pdf", recorded.patient_id))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.expect("pdf");
    let doc = lopdf::Document::load_mem(&bytes).expect("a PDF");
    let text = doc.extract_text(&[1]).expect("text");
    assert!(text.contains("Camille DURAND"), "{text}");
    assert!(text.contains("FK1234"), "{text}");
}

#[tokio::test]
async fn a_postponed_consultation_records_no_injection() {
    let h = hall().await;
    let mut body = first_dose(&h, Uuid::new_v4());
    body["consultation"]["outcome"] = json!("postpone");
    body["consultation"]["postpone_reason"] = json!("Fièvre ce jour");
    body["injection"] = Value::Null;
    let recorded: VaccinationRecorded = ok_json(h.record(&body).await).await;
    assert!(recorded.injection.is_none());
    // Without a reason: refused, in French.
    let mut body = first_dose(&h, Uuid::new_v4());
    body["consultation"]["outcome"] = json!("postpone");
    body["injection"] = Value::Null;
    let err = api_error(h.record(&body).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(err.code, ErrorCode::InvalidInput);
    // A NIR that disagrees with the birth date typed beside it.
    let mut body = first_dose(&h, Uuid::new_v4());
    body["patient"]["birth_date"] = json!(NaiveDate::from_ymd_opt(1956, 8, 20));
    let err = api_error(h.record(&body).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(err.code, ErrorCode::InvalidIdentifier);
}

/// A valid NIR for a woman born in this year and month (department 77).
fn nir_born(year: i32, month: u32) -> String {
    let body = format!("2{:02}{:02}77123456", year.rem_euclid(100), month);
    let n: u64 = body.parse().expect("digits");
    format!("{body}{:02}", 97 - n % 97)
}

#[tokio::test]
async fn injection_and_birth_dates_stay_within_the_campaign_and_a_life() {
    let h = hall().await;
    let refused = |body: Value| {
        let app = &h.app;
        async move {
            let err = api_error(
                app.post("/api/vaccinations", &body).await,
                StatusCode::BAD_REQUEST,
            )
            .await;
            assert_eq!(err.code, ErrorCode::InvalidInput);
            err.message
        }
    };
    let at = |when: &str| {
        let mut body = first_dose(&h, Uuid::new_v4());
        body["injection"]["administered_at"] = json!(when);
        body
    };
    // Year 1, 1900, and the last second before the campaign (26 Dec 2020, 23:59:59 in Paris).
    for when in [
        "0001-01-01T10:00:00Z",
        "1900-01-01T10:00:00Z",
        "2020-12-26T22:59:59Z",
    ] {
        let message = refused(at(when)).await;
        assert!(message.contains("27/12/2020"), "{when}: {message}");
    }
    // Year 9999: in the future.
    assert!(refused(at("9999-12-31T10:00:00Z")).await.contains("futur"));
    // Born 1899: not a plausible birth date; nothing written for any of these.
    let mut old = first_dose(&h, Uuid::new_v4());
    old["patient"]["birth_date"] = json!("1899-12-31");
    old["patient"]["nir"] = json!(nir_born(1899, 12));
    assert!(refused(old).await.contains("1900"));
    let written = injection::Entity::find()
        .count(&h.app.state.db)
        .await
        .expect("count");
    assert_eq!(written, 0);
    // The first minute of the campaign, in Paris time, is accepted.
    let first: VaccinationRecorded = ok_json(h.record(&at("2020-12-26T23:00:00Z")).await).await;
    let view = first.injection.expect("an injection");
    assert_eq!(
        view.administered_at.to_rfc3339(),
        "2020-12-26T23:00:00+00:00"
    );
    // Born on 1 January 1900: accepted.
    let mut oldest = first_dose(&h, Uuid::new_v4());
    oldest["patient"]["birth_date"] = json!("1900-01-01");
    oldest["patient"]["nir"] = json!(nir_born(1900, 1));
    let recorded: VaccinationRecorded = ok_json(h.record(&oldest).await).await;
    assert!(recorded.injection.is_some());
}

#[tokio::test]
async fn a_lot_expires_within_five_years() {
    let h = hall().await;
    let path = format!("/api/structures/{}/lots", h.structure_id);
    let today = h
        .app
        .state
        .now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let five_years = today
        .checked_add_months(chrono::Months::new(60))
        .expect("date");
    for (number, expires_on, ok) in [
        ("LOIN-1", five_years + Duration::days(1), false),
        (
            "LOIN-2",
            NaiveDate::from_ymd_opt(9999, 12, 31).expect("date"),
            false,
        ),
        ("LOIN-3", five_years, true),
    ] {
        let r = h
            .app
            .post(
                &path,
                &json!({ "product_code": "comirnaty", "number": number, "expires_on": expires_on, "doses_received": 100000 }),
            )
            .await;
        if ok {
            let lot: LotView = ok_json(r).await;
            assert_eq!(lot.expires_on, expires_on);
        } else {
            let err = api_error(r, StatusCode::BAD_REQUEST).await;
            assert_eq!(err.code, ErrorCode::InvalidInput);
            assert!(err.message.contains("5 ans"), "{}", err.message);
        }
    }
}

#[tokio::test]
async fn patient_names_refuse_invisible_and_control_characters() {
    let h = hall().await;
    for (field, name) in [
        ("family_name", "\u{202E}dnaruD"),
        ("family_name", "Dur\u{0}and"),
        ("given_names", "Ca\u{200B}mille"),
        ("given_names", "Camille\nJeanne"),
    ] {
        let mut body = first_dose(&h, Uuid::new_v4());
        body["patient"][field] = json!(name);
        let err = api_error(h.record(&body).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(
            err.message.contains("caractère invisible"),
            "{name:?}: {}",
            err.message
        );
    }
    assert_eq!(
        injection::Entity::find()
            .count(&h.app.state.db)
            .await
            .expect("count"),
        0
    );
    // Accents, apostrophes and hyphens are names.
    let mut body = first_dose(&h, Uuid::new_v4());
    body["patient"]["family_name"] = json!("N'Diaye-Lefèvre");
    body["patient"]["given_names"] = json!("Élodie Françoise");
    let recorded: VaccinationRecorded = ok_json(h.record(&body).await).await;
    let file: PatientFile = ok_json(
        h.app
            .get(&format!("/api/patients/{}", recorded.patient_id))
            .await,
    )
    .await;
    assert_eq!(file.family_name, "N'DIAYE-LEFÈVRE");
    assert_eq!(file.given_names, "Élodie Françoise");
}

/// Counts of what a refused vaccination must not have left: patients, consultations,
/// injections, injection revisions.
async fn written(app: &TestApp) -> [u64; 4] {
    use vigie_backend::entities::{consultation, patient};
    let db = &app.state.db;
    [
        patient::Entity::find().count(db).await.expect("count"),
        consultation::Entity::find().count(db).await.expect("count"),
        injection::Entity::find().count(db).await.expect("count"),
        injection_revision::Entity::find()
            .count(db)
            .await
            .expect("count"),
    ]
}

/// A 400 `invalid_input` with exactly this French message.
async fn refused_with(response: reqwest::Response, message: &str) {
    let err = api_error(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);
    assert_eq!(err.message, message);
}

const BEFORE_BIRTH: &str = "La date d'injection ne peut pas précéder la date de naissance.";
const BORN_IN_THE_FUTURE: &str = "La date de naissance ne peut pas être dans le futur.";
const BORN_BEFORE_1900: &str = "Date de naissance invraisemblable : avant le 1er janvier 1900.";
const BEFORE_THE_CAMPAIGN: &str =
    "La date d'injection ne peut pas précéder le début de la campagne de vaccination (27/12/2020).";
const IN_THE_FUTURE: &str = "La date d'injection ne peut pas être dans le futur.";

/// An injection dated before the patient's birth and a birth date in the future are refused
/// with their own message, nothing written; the day of birth itself is accepted.
#[tokio::test]
async fn an_injection_before_birth_and_a_birth_in_the_future_are_refused() {
    let h = hall().await;
    let born = |birth: NaiveDate, at: Option<&str>| {
        let mut body = first_dose(&h, Uuid::new_v4());
        body["patient"]["birth_date"] = json!(birth);
        body["patient"]["nir"] = json!(nir_born(
            chrono::Datelike::year(&birth),
            chrono::Datelike::month(&birth)
        ));
        body["injection"]["administered_at"] = json!(at);
        // A child: the age warning is confirmed, the dates alone are judged.
        body["injection"]["confirmed_warnings"] = json!(["age_outside_indication"]);
        body
    };
    // Born 10 May 2022; vaccinated (in the campaign) on 9 May 2022, Paris time.
    let birth = NaiveDate::from_ymd_opt(2022, 5, 10).expect("date");
    refused_with(
        h.record(&born(birth, Some("2022-05-09T21:59:59Z"))).await,
        BEFORE_BIRTH,
    )
    .await;
    assert_eq!(written(&h.app).await, [0; 4]);

    // Born tomorrow (Paris), vaccinated now.
    let today = h
        .app
        .state
        .now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    refused_with(
        h.record(&born(today + Duration::days(1), None)).await,
        BORN_IN_THE_FUTURE,
    )
    .await;
    assert_eq!(written(&h.app).await, [0; 4]);

    // Vaccinated on the day of birth (00:00 in Paris): accepted.
    let recorded: VaccinationRecorded =
        ok_json(h.record(&born(birth, Some("2022-05-09T22:00:00Z"))).await).await;
    assert!(recorded.injection.is_some());
    assert_eq!(written(&h.app).await, [1, 1, 1, 0]);
}

/// The preview judges the birth date it is given as the record does (future, before 1900,
/// after the injection date), with the same messages.
#[tokio::test]
async fn the_preview_refuses_an_out_of_range_birth_date() {
    let h = hall().await;
    let today = h
        .app
        .state
        .now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let preview = |birth: NaiveDate, at: Option<&'static str>| {
        let body = json!({ "structure_id": h.structure_id, "patient_id": null, "birth_date": birth,
            "product_code": "comirnaty", "administered_at": at });
        let app = &h.app;
        async move { app.post("/api/vaccinations/preview", &body).await }
    };
    refused_with(
        preview(today + Duration::days(1), None).await,
        BORN_IN_THE_FUTURE,
    )
    .await;
    refused_with(
        preview(NaiveDate::from_ymd_opt(1899, 12, 31).expect("date"), None).await,
        BORN_BEFORE_1900,
    )
    .await;
    refused_with(
        preview(
            NaiveDate::from_ymd_opt(2022, 5, 10).expect("date"),
            Some("2022-05-09T12:00:00Z"),
        )
        .await,
        BEFORE_BIRTH,
    )
    .await;
    // The bounds themselves are accepted: born today, born on 1 January 1900.
    for birth in [today, NaiveDate::from_ymd_opt(1900, 1, 1).expect("date")] {
        let p: DosePreview = ok_json(preview(birth, None).await).await;
        assert_eq!(p.dose_number, 1);
    }
    assert_eq!(written(&h.app).await, [0; 4]);
}

/// A correction moving the injection before the campaign (26 Dec 2020, 23:59:59 in Paris) or
/// into the future is refused with its message; the injection keeps its version and date, and
/// no earlier version is kept for a change that did not happen.
#[tokio::test]
async fn a_correction_cannot_move_the_injection_out_of_the_campaign() {
    let h = hall().await;
    let recorded: VaccinationRecorded =
        ok_json(h.record(&first_dose(&h, Uuid::new_v4())).await).await;
    let dose = recorded.injection.expect("dose");
    let later = (h.app.state.now() + Duration::hours(1)).to_rfc3339();
    for (at, message) in [
        ("2020-12-26T22:59:59Z", BEFORE_THE_CAMPAIGN),
        (later.as_str(), IN_THE_FUTURE),
    ] {
        refused_with(
            h.app
                .post(
                    &format!("/api/injections/{}/correct", dose.id),
                    &json!({ "reason": "Heure mal saisie", "administered_at": at }),
                )
                .await,
            message,
        )
        .await;
        let row = injection::Entity::find_by_id(dose.id)
            .one(&h.app.state.db)
            .await
            .expect("query")
            .expect("row");
        assert_eq!(row.version, 1, "{at}");
        assert_eq!(row.administered_at, dose.administered_at, "{at}");
        assert_eq!(written(&h.app).await, [1, 1, 1, 0], "{at}");
    }
    // The first second of the campaign is a date a correction may give.
    let corrected: InjectionView = ok_json(
        h.app
            .post(
                &format!("/api/injections/{}/correct", dose.id),
                &json!({ "reason": "Heure mal saisie", "administered_at": "2020-12-26T23:00:00Z" }),
            )
            .await,
    )
    .await;
    assert_eq!(corrected.version, 2);
    assert_eq!(written(&h.app).await, [1, 1, 1, 1]);
}

/// Every read of patient data is audited under the one who read: opening the file, a search
/// by name (the number found kept, not the name typed), the printable recap. A NIR that
/// matches nobody is kept under its keyed fingerprint, and the NIR appears nowhere in the
/// trail.
#[tokio::test]
async fn patient_reads_are_audited_under_the_reader_and_a_missed_nir_only_as_a_keyed_hash() {
    let h = hall().await;
    let jean = h.app.professional_id(JEAN_MARTIN_RPPS).await.to_string();
    let recorded: VaccinationRecorded =
        ok_json(h.record(&first_dose(&h, Uuid::new_v4())).await).await;
    let patient = recorded.patient_id.to_string();
    let events = |action: &'static str| {
        let app = &h.app;
        async move {
            vigie_backend::audit::seal(&app.state.db, &app.state.audit_key)
                .await
                .expect("seal");
            audit_event::Entity::find()
                .filter(audit_event::Column::Action.eq(action))
                .all(&app.state.db)
                .await
                .expect("events")
        }
    };
    assert!(events("patient.read").await.is_empty());
    assert!(events("patient.searched").await.is_empty());

    // The file.
    ok_json::<PatientFile>(h.app.get(&format!("/api/patients/{patient}")).await).await;
    let read = events("patient.read").await;
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].actor.as_deref(), Some(jean.as_str()));
    assert_eq!(read[0].subject.as_deref(), Some(patient.as_str()));
    assert_eq!(read[0].details, r#"{"what":"file"}"#);
    assert!(read[0].session_id.is_some());

    // A search by name and birth date.
    let found: Vec<PatientSummary> = ok_json(
        h.app
            .post(
                "/api/patients/search",
                &json!({ "family_name": "Dura", "birth_date": "1955-08-20" }),
            )
            .await,
    )
    .await;
    assert_eq!(found.len(), 1);
    let searched = events("patient.searched").await;
    assert_eq!(searched.len(), 1);
    assert_eq!(searched[0].actor.as_deref(), Some(jean.as_str()));
    assert_eq!(searched[0].details, r#"{"found":1}"#);
    assert!(!searched[0].details.to_lowercase().contains("dura"));

    // The printable recap.
    let r = h
        .app
        .get(&format!("/api/patients/{patient}/recap.pdf"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.expect("pdf").starts_with(b"%PDF"));
    let read = events("patient.read").await;
    assert_eq!(read.len(), 2);
    let recap = read
        .iter()
        .find(|e| e.details == r#"{"what":"recap"}"#)
        .expect("the recap read audited");
    assert_eq!(recap.actor.as_deref(), Some(jean.as_str()));
    assert_eq!(recap.subject.as_deref(), Some(patient.as_str()));

    // A NIR nobody has: audited under its keyed fingerprint.
    let unknown = nir_born(1971, 3);
    let miss: PatientLookupResult = ok_json(
        h.app
            .post("/api/patients/lookup", &json!({ "nir": unknown }))
            .await,
    )
    .await;
    assert!(miss.patient.is_none());
    let missed = events("patient.lookup_missed").await;
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].actor.as_deref(), Some(jean.as_str()));
    let fingerprint = h.app.state.nir_fingerprint.of(&unknown);
    assert_eq!(missed[0].subject.as_deref(), Some(fingerprint.as_str()));
    assert_ne!(fingerprint, unknown);
    assert!(!fingerprint.contains(&unknown[..13]));
    // Neither NIR, nor its first 13 digits, anywhere in the trail.
    let trail = audit_event::Entity::find()
        .all(&h.app.state.db)
        .await
        .expect("events");
    for e in &trail {
        let text = format!("{e:?}");
        for nir in [unknown.as_str(), NIR] {
            assert!(!text.contains(&nir[..13]), "{text}");
        }
    }
}

/// An injection is dated on its Paris day, summer or winter time as it was then: half past
/// midnight in Paris on both sides of both 2026 changes is still the previous day in UTC.
#[tokio::test]
async fn the_recap_dates_injections_on_their_paris_day_across_the_time_changes() {
    let h = hall().await;
    // (instant, Paris day, UTC day)
    let cases = [
        ("2026-03-27T23:30:00Z", "28/03/2026", "27/03/2026"),
        ("2026-03-29T22:30:00Z", "30/03/2026", "29/03/2026"),
        ("2026-10-23T22:30:00Z", "24/10/2026", "23/10/2026"),
        ("2026-10-25T23:30:00Z", "26/10/2026", "25/10/2026"),
    ];
    for (n, (at, paris_day, utc_day)) in cases.into_iter().enumerate() {
        let mut body = first_dose(&h, Uuid::new_v4());
        let nir_body = format!("2550877123{n:03}");
        let number: u64 = nir_body.parse().expect("digits");
        body["patient"]["nir"] = json!(format!("{nir_body}{:02}", 97 - number % 97));
        body["injection"]["administered_at"] = json!(at);
        let recorded: VaccinationRecorded = ok_json(h.record(&body).await).await;
        let r = h
            .app
            .get(&format!("/api/patients/{}/recap.pdf", recorded.patient_id))
            .await;
        let bytes = r.bytes().await.expect("pdf");
        let doc = lopdf::Document::load_mem(&bytes).expect("a PDF");
        let text = doc.extract_text(&[1]).expect("text");
        assert!(
            text.contains(paris_day),
            "{at}: {paris_day} missing from {text}"
        );
        assert!(
            !text.contains(utc_day),
            "{at}: dated {utc_day} (UTC) in {text}"
        );
    }
}

/// A valid NIR for a woman born in this year and month (department 77), one per serial.
fn nir_numbered(year: i32, month: u32, serial: u32) -> String {
    let body = format!(
        "2{:02}{:02}77{:06}",
        year.rem_euclid(100),
        month,
        500_000 + serial
    );
    let n: u64 = body.parse().expect("digits");
    format!("{body}{:02}", 97 - n % 97)
}

/// A new patient born on this day (NIR `serial`), given this lot's product.
fn newborn_dose(h: &Hall, birth: NaiveDate, serial: u32, lot: &LotView, confirmed: Value) -> Value {
    json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": h.structure_id,
        "patient": {
            "kind": "new",
            "nir": nir_numbered(chrono::Datelike::year(&birth), chrono::Datelike::month(&birth), serial),
            "family_name": "Choix",
            "given_names": "Léa",
            "birth_date": birth,
            "sex": "female",
            "residence_department": "77",
            "esms_finess": null
        },
        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
        "injection": { "product_code": lot.product_code, "lot_id": lot.id, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": confirmed }
    })
}

/// The preview for a new patient born on this day.
async fn preview_for(
    h: &Hall,
    birth: NaiveDate,
    product: Option<&str>,
    at: Option<&str>,
) -> reqwest::Response {
    h.app
        .post(
            "/api/vaccinations/preview",
            &json!({ "structure_id": h.structure_id, "patient_id": null, "birth_date": birth,
                "product_code": product, "administered_at": at }),
        )
        .await
}

/// A Spikevax lot expiring before every Comirnaty lot: the lot expiring first no longer
/// decides the product.
async fn spikevax_lot_of_the_day(h: &Hall) -> LotView {
    let expires_on = h.app.state.now().date_naive() + Duration::days(100);
    ok_json(
        h.app
            .post(
                &format!("/api/structures/{}/lots", h.structure_id),
                &json!({ "product_code": "spikevax", "number": "SPK100", "expires_on": expires_on, "doses_received": 100000 }),
            )
            .await,
    )
    .await
}

fn paris_today(h: &Hall) -> NaiveDate {
    h.app
        .state
        .now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
}

fn years_before(day: NaiveDate, years: u32) -> NaiveDate {
    day.checked_sub_months(chrono::Months::new(12 * years))
        .expect("date")
}

fn codes(p: &DosePreview) -> Vec<WarningCode> {
    p.warnings.iter().map(|w| w.code).collect()
}

/// A 25-year-old with no earlier dose is proposed Comirnaty and its lot (HAS, 8 November
/// 2021), not the product of the lot expiring first; Spikevax chosen for them needs the
/// `not_recommended_for_age` confirmation, and once confirmed is what is stored — and what
/// their next dose proposes, with the same warning.
#[tokio::test]
async fn under_30_comirnaty_is_proposed_and_spikevax_needs_a_confirmation() {
    let h = hall().await;
    let spikevax = spikevax_lot_of_the_day(&h).await;
    let birth = years_before(paris_today(&h), 25);

    let p: DosePreview = ok_json(preview_for(&h, birth, None, None).await).await;
    assert_eq!(p.product_code, "comirnaty");
    assert_eq!(p.lot_id, Some(h.lot.id), "the Comirnaty lot expiring first");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);

    let p: DosePreview = ok_json(preview_for(&h, birth, Some("spikevax"), None).await).await;
    assert_eq!(p.lot_id, Some(spikevax.id));
    assert_eq!(codes(&p), vec![WarningCode::NotRecommendedForAge]);
    let message = &p.warnings[0].message;
    for part in [
        "25 an(s)",
        "Spikevax",
        "avant 30 ans",
        "HAS",
        "8 novembre 2021",
        "Comirnaty",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }

    // Not confirmed: refused, nothing written.
    let err = api_error(
        h.record(&newborn_dose(&h, birth, 1, &spikevax, json!([])))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(err.code, ErrorCode::ConfirmationRequired);
    assert!(err.message.contains("avant 30 ans"), "{}", err.message);
    assert_eq!(written(&h.app).await, [0; 4]);
    // Another warning confirmed instead: still refused.
    let err = api_error(
        h.record(&newborn_dose(
            &h,
            birth,
            1,
            &spikevax,
            json!(["age_outside_indication"]),
        ))
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(err.code, ErrorCode::ConfirmationRequired);

    // Confirmed: recorded, with Spikevax and the confirmation kept.
    let recorded: VaccinationRecorded = ok_json(
        h.record(&newborn_dose(
            &h,
            birth,
            1,
            &spikevax,
            json!(["not_recommended_for_age"]),
        ))
        .await,
    )
    .await;
    let dose = recorded.injection.expect("an injection");
    assert_eq!(dose.product_code, "spikevax");
    let row = injection::Entity::find_by_id(dose.id)
        .one(&h.app.state.db)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(row.lot_id, spikevax.id);
    assert!(
        row.confirmed_warnings.contains("not_recommended_for_age"),
        "{}",
        row.confirmed_warnings
    );
    let file: PatientFile = ok_json(
        h.app
            .get(&format!("/api/patients/{}", recorded.patient_id))
            .await,
    )
    .await;
    assert_eq!(file.injections[0].product_code, "spikevax");

    // Their next dose follows their history, still with the warning to confirm.
    let p: DosePreview = ok_json(
        h.app
            .post(
                "/api/vaccinations/preview",
                &json!({ "structure_id": h.structure_id, "patient_id": recorded.patient_id }),
            )
            .await,
    )
    .await;
    assert_eq!(p.product_code, "spikevax");
    assert!(codes(&p).contains(&WarningCode::NotRecommendedForAge));
}

/// The age is taken on the injection's day: 29 the day before the 30th birthday (warning),
/// 30 on the day (none); a 35-year-old gets Spikevax without any warning.
#[tokio::test]
async fn spikevax_is_advised_against_until_the_30th_birthday_on_the_injection_day() {
    let h = hall().await;
    let spikevax = spikevax_lot_of_the_day(&h).await;
    // Vaccinated on 10 March 2025, noon in Paris: born 10 March 1995, 30 that day;
    // born 11 March 1995, still 29 (both are 30 today).
    let at = Some("2025-03-10T11:00:00Z");
    let thirty = NaiveDate::from_ymd_opt(1995, 3, 10).expect("date");
    let twenty_nine = NaiveDate::from_ymd_opt(1995, 3, 11).expect("date");
    let p: DosePreview = ok_json(preview_for(&h, thirty, Some("spikevax"), at).await).await;
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let p: DosePreview = ok_json(preview_for(&h, twenty_nine, Some("spikevax"), at).await).await;
    assert_eq!(codes(&p), vec![WarningCode::NotRecommendedForAge]);
    assert!(p.warnings[0].message.contains("29 an(s)"));
    // Today both are over 30.
    let p: DosePreview = ok_json(preview_for(&h, twenty_nine, Some("spikevax"), None).await).await;
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    // The same bound for a dose recorded now: 29 until the eve of the 30th birthday.
    let today = paris_today(&h);
    let turns_30_tomorrow = years_before(today, 30) + Duration::days(1);
    let p: DosePreview =
        ok_json(preview_for(&h, turns_30_tomorrow, Some("spikevax"), None).await).await;
    assert_eq!(codes(&p), vec![WarningCode::NotRecommendedForAge]);
    let p: DosePreview =
        ok_json(preview_for(&h, years_before(today, 30), Some("spikevax"), None).await).await;
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);

    // From 30 Comirnaty is still proposed first, Spikevax taken without a warning.
    let birth = years_before(today, 35);
    let p: DosePreview = ok_json(preview_for(&h, birth, None, None).await).await;
    assert_eq!(p.product_code, "comirnaty");
    let recorded: VaccinationRecorded = ok_json(
        h.record(&newborn_dose(&h, birth, 2, &spikevax, json!([])))
            .await,
    )
    .await;
    assert_eq!(
        recorded.injection.expect("an injection").product_code,
        "spikevax"
    );
    // 29 on the day of a dose given now, refused without the confirmation.
    let err = api_error(
        h.record(&newborn_dose(
            &h,
            turns_30_tomorrow,
            3,
            &spikevax,
            json!([]),
        ))
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(err.code, ErrorCode::ConfirmationRequired);
    // 30 today: recorded without one.
    let recorded: VaccinationRecorded = ok_json(
        h.record(&newborn_dose(
            &h,
            years_before(today, 30),
            4,
            &spikevax,
            json!([]),
        ))
        .await,
    )
    .await;
    assert!(recorded.injection.is_some());
}

/// A returning patient is proposed the product of their last dose (here Spikevax, from 30),
/// with its lot, though Comirnaty would be proposed to a new patient of their age.
#[tokio::test]
async fn a_returning_patient_keeps_the_product_of_their_last_dose() {
    let mut h = hall().await;
    let spikevax = spikevax_lot_of_the_day(&h).await;
    let birth = years_before(paris_today(&h), 45);
    let recorded: VaccinationRecorded = ok_json(
        h.record(&newborn_dose(&h, birth, 5, &spikevax, json!([])))
            .await,
    )
    .await;
    h.later(Duration::days(28)).await;
    let p: DosePreview = ok_json(
        h.app
            .post(
                "/api/vaccinations/preview",
                &json!({ "structure_id": h.structure_id, "patient_id": recorded.patient_id }),
            )
            .await,
    )
    .await;
    assert_eq!(p.product_code, "spikevax");
    assert_eq!(p.lot_id, Some(spikevax.id));
    assert_eq!((p.dose_number, p.series_doses), (2, 2));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let p: DosePreview = ok_json(preview_for(&h, birth, None, None).await).await;
    assert_eq!(p.product_code, "comirnaty");
}

/// An impossible age is refused, never a warning to confirm: born in the future, or after
/// the injection's day, is a 400 `invalid_input` from the preview (with or without a product
/// chosen) and from the write, even with every warning confirmed.
#[tokio::test]
async fn an_impossible_age_is_refused_not_confirmable() {
    let h = hall().await;
    let today = paris_today(&h);
    let future = NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&today) + 5,
        chrono::Datelike::month(&today),
        1,
    )
    .expect("date");
    refused_with(
        preview_for(&h, future, None, None).await,
        BORN_IN_THE_FUTURE,
    )
    .await;
    refused_with(
        preview_for(&h, future, Some("comirnaty"), None).await,
        BORN_IN_THE_FUTURE,
    )
    .await;
    let every = json!([
        "interval_too_short",
        "product_mixing",
        "age_outside_indication",
        "not_recommended_for_age"
    ]);
    refused_with(
        h.record(&newborn_dose(&h, future, 6, &h.lot, every.clone()))
            .await,
        BORN_IN_THE_FUTURE,
    )
    .await;
    // Born in 2022, vaccinated (as typed) the year before.
    let birth = NaiveDate::from_ymd_opt(2022, 5, 10).expect("date");
    refused_with(
        preview_for(&h, birth, None, Some("2021-06-01T10:00:00Z")).await,
        BEFORE_BIRTH,
    )
    .await;
    let mut body = newborn_dose(&h, birth, 7, &h.lot, every);
    body["injection"]["administered_at"] = json!("2021-06-01T10:00:00Z");
    refused_with(h.record(&body).await, BEFORE_BIRTH).await;
    assert_eq!(written(&h.app).await, [0; 4]);
}
