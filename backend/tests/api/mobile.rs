//! Practitioners on the move, through the real API: a professional without any structure
//! declares an own practice, manages a personal stock, records at a patient's home; lot stock
//! counts down with each injection and each declared loss, and no more doses are given than a
//! lot received, even when requests arrive all at once (on PostgreSQL, across two instances).

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;
use vigie_backend::{
    demo::{CLAIRE_BERNARD_RPPS, JEAN_MARTIN_RPPS},
    entities::{injection, practice},
};
use vigie_shared::{
    ErrorCode,
    api::vaccination::{
        CertificateView, LotView, PatientLookupResult, StructureView, VaccinationContext,
        VaccinationRecorded,
    },
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::{
    helpers::{TestApp, api_error, ok_json},
    invariants::{Answer, N, expect, fire, nir, pick, tally},
    vaccination::hall,
};

/// A dose for a new patient (a woman born in August 1955 whose NIR is `nir`).
fn dose(structure: Uuid, lot: Uuid, nir: &str, place: Value) -> Value {
    json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": structure,
        "place": place,
        "patient": {
            "kind": "new", "nir": nir, "family_name": "Lefèvre", "given_names": "Anne",
            "birth_date": "1955-08-20", "sex": "female", "residence_department": "77",
            "esms_finess": null
        },
        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
        "injection": { "product_code": "comirnaty", "lot_id": lot, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": [] }
    })
}

/// Claire Bernard, pharmacien, practising nowhere (her centre's practice removed), signed in.
async fn without_structure() -> TestApp {
    let app = TestApp::spawn().await;
    let claire = app.professional_id(CLAIRE_BERNARD_RPPS).await;
    practice::Entity::delete_many()
        .filter(practice::Column::ProfessionalId.eq(claire))
        .exec(&app.state.db)
        .await
        .expect("practice removed");
    let mut key = SoftPasskey::new(true);
    app.register_passkey(CLAIRE_BERNARD_RPPS, &mut key).await;
    app.sign_in(CLAIRE_BERNARD_RPPS, &mut key).await;
    app
}

async fn lot(app: &TestApp, structure: Uuid, number: &str, doses: i32) -> LotView {
    let expires_on = app.state.now().date_naive() + chrono::Duration::days(200);
    ok_json(
        app.post(
            &format!("/api/structures/{structure}/lots"),
            &json!({ "product_code": "comirnaty", "number": number, "expires_on": expires_on, "doses_received": doses }),
        )
        .await,
    )
    .await
}

#[tokio::test]
async fn a_practitioner_without_structure_vaccinates_at_a_patients_home_from_her_own_stock() {
    let app = without_structure().await;
    let context: VaccinationContext = ok_json(app.get("/api/vaccination/context").await).await;
    assert!(context.structures.is_empty(), "no practice place yet");

    // Her own practice: declared once, the same one when declared again (address updated).
    let own: StructureView = ok_json(
        app.put_json(
            "/api/vaccination/own-practice",
            &json!({ "address": "Officine du Centre, 4 place Saint-Jean, 77000 Melun" }),
        )
        .await,
    )
    .await;
    assert!(own.own_practice);
    assert_eq!(own.finess, "", "an own practice shows no FINESS");
    let again: StructureView = ok_json(
        app.put_json(
            "/api/vaccination/own-practice",
            &json!({ "address": "Officine du Centre, 6 place Saint-Jean, 77000 Melun" }),
        )
        .await,
    )
    .await;
    assert_eq!(again.id, own.id);
    let context: VaccinationContext = ok_json(app.get("/api/vaccination/context").await).await;
    assert_eq!(context.structures.len(), 1);
    assert!(context.structures[0].own_practice);

    // Her personal stock: two doses.
    let stock = lot(&app, own.id, "PERSO1", 2).await;
    assert_eq!((stock.doses_received, stock.doses_left), (Some(2), Some(2)));

    // Without the place: refused, with what to do.
    let refused = api_error(
        app.post(
            "/api/vaccinations",
            &dose(own.id, stock.id, &nir(1), Value::Null),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    assert!(
        refused.message.contains("lieu de vaccination"),
        "{}",
        refused.message
    );
    // Another place without its address: refused.
    let refused = api_error(
        app.post(
            "/api/vaccinations",
            &dose(
                own.id,
                stock.id,
                &nir(1),
                json!({ "kind": "other", "address": " " }),
            ),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(refused.message.contains("adresse"), "{}", refused.message);
    // An address hiding a direction override: refused.
    let refused = api_error(
        app.post(
            "/api/vaccinations",
            &dose(
                own.id,
                stock.id,
                &nir(1),
                json!({ "kind": "other", "address": "Mairie\u{202E}, Provins" }),
            ),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(refused.code, ErrorCode::InvalidInput);

    // At the patient's home.
    let home: VaccinationRecorded = ok_json(
        app.post(
            "/api/vaccinations",
            &dose(own.id, stock.id, &nir(1), json!({ "kind": "patient_home" })),
        )
        .await,
    )
    .await;
    let given = home.injection.expect("injection");
    assert_eq!(given.place.as_deref(), Some("Au domicile du patient"));
    assert_eq!(given.structure_finess, "");
    assert_eq!(given.vaccinator, "Claire Bernard");
    // In her officine: the address on file.
    let officine: VaccinationRecorded = ok_json(
        app.post(
            "/api/vaccinations",
            &dose(own.id, stock.id, &nir(2), json!({ "kind": "own_practice" })),
        )
        .await,
    )
    .await;
    assert_eq!(
        officine.injection.expect("injection").place.as_deref(),
        Some("Au cabinet / à l'officine — Officine du Centre, 6 place Saint-Jean, 77000 Melun")
    );
    // The stock is empty: the third dose is refused, and nothing of it is written.
    let empty = api_error(
        app.post(
            "/api/vaccinations",
            &dose(own.id, stock.id, &nir(3), json!({ "kind": "patient_home" })),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(empty.code, ErrorCode::LotExhausted);
    let lots: Vec<LotView> =
        ok_json(app.get(&format!("/api/structures/{}/lots", own.id)).await).await;
    assert_eq!(lots[0].doses_left, Some(0));
    let written = injection::Entity::find()
        .filter(injection::Column::LotId.eq(stock.id))
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(written, 2);

    // The certificate names her, not a FINESS.
    let certificate: CertificateView = ok_json(
        app.get(&format!("/api/patients/{}/certificate", home.patient_id))
            .await,
    )
    .await;
    assert!(certificate.payload.starts_with("HC1:"));

    // Another professional sees nothing of it until the NIR is typed, and cannot use her stock.
    let other = app.professional_device(JEAN_MARTIN_RPPS).await.0;
    let hidden = other
        .get(&format!("/api/patients/{}", home.patient_id))
        .await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    let foreign = other
        .post(
            "/api/vaccinations",
            &dose(own.id, stock.id, &nir(4), json!({ "kind": "patient_home" })),
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let typed: PatientLookupResult = ok_json(
        other
            .post("/api/patients/lookup", &json!({ "nir": nir(1) }))
            .await,
    )
    .await;
    assert_eq!(typed.patient.expect("found").injections.len(), 1);
}

#[tokio::test]
async fn a_structure_dose_states_no_place_and_a_structure_lot_counts_down_too() {
    let h = hall().await;
    let refused = api_error(
        h.app
            .post(
                "/api/vaccinations",
                &dose(
                    h.structure_id,
                    h.lot.id,
                    &nir(5),
                    json!({ "kind": "patient_home" }),
                ),
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        refused.message.contains("dans une structure"),
        "{}",
        refused.message
    );
    let counted = lot(&h.app, h.structure_id, "CNT1", 3).await;
    let first: VaccinationRecorded = ok_json(
        h.app
            .post(
                "/api/vaccinations",
                &dose(h.structure_id, counted.id, &nir(5), Value::Null),
            )
            .await,
    )
    .await;
    assert_eq!(first.injection.expect("injection").place, None);
    let lots: Vec<LotView> = ok_json(
        h.app
            .get(&format!("/api/structures/{}/lots", h.structure_id))
            .await,
    )
    .await;
    let now = lots.iter().find(|l| l.id == counted.id).expect("lot");
    assert_eq!((now.doses_left, now.doses_wasted), (Some(2), 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_the_doses_a_lot_received_are_given_when_fifty_arrive_at_once() {
    let h = hall().await;
    let urls = h.app.instances().await;
    let small = lot(&h.app, h.structure_id, "PAR20", 20).await;
    let answers: Vec<Answer> = fire(
        (0..N)
            .map(|i| {
                let url = pick(&urls, i).join("/api/vaccinations").expect("url");
                let body = dose(h.structure_id, small.id, &nir(100 + i), Value::Null);
                let client = h.app.client.clone();
                async move { client.post(url).json(&body).send().await.expect("request") }
            })
            .collect(),
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, 20),
            (StatusCode::CONFLICT, Some(ErrorCode::LotExhausted), N - 20)
        ])
    );
    let written = injection::Entity::find()
        .filter(injection::Column::LotId.eq(small.id))
        .count(&h.app.state.db)
        .await
        .expect("count");
    assert_eq!(written, 20);
    let lots: Vec<LotView> = ok_json(
        h.app
            .get(&format!("/api/structures/{}/lots", h.structure_id))
            .await,
    )
    .await;
    assert_eq!(
        lots.iter()
            .find(|l| l.id == small.id)
            .expect("lot")
            .doses_left,
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wastage_takes_doses_from_the_stock_and_never_more_than_are_left() {
    let h = hall().await;
    let urls = h.app.instances().await;
    let vials = lot(&h.app, h.structure_id, "WASTE10", 10).await;
    let path = format!("/api/lots/{}/wastage", vials.id);
    // Bounds: 0 and 100 001 refused; a reason is required and must be visible text.
    for (doses, reason) in [
        (0, "Flacon cassé"),
        (100_001, "Flacon cassé"),
        (1, " "),
        (1, "Flacon\u{200B}"),
    ] {
        let refused = api_error(
            h.app
                .post(&path, &json!({ "doses": doses, "reason": reason }))
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(refused.code, ErrorCode::InvalidInput, "{doses} {reason:?}");
    }
    // 50 declarations of one dose at once: exactly the 10 doses in stock are taken.
    let answers: Vec<Answer> = fire(
        (0..N)
            .map(|i| {
                let url = pick(&urls, i).join(&path).expect("url");
                let client = h.app.client.clone();
                async move {
                    client
                        .post(url)
                        .json(&json!({ "doses": 1, "reason": "Flacon ouvert hors délai" }))
                        .send()
                        .await
                        .expect("request")
                }
            })
            .collect(),
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, 10),
            (StatusCode::CONFLICT, Some(ErrorCode::LotExhausted), N - 10)
        ])
    );
    let lots: Vec<LotView> = ok_json(
        h.app
            .get(&format!("/api/structures/{}/lots", h.structure_id))
            .await,
    )
    .await;
    let now = lots.iter().find(|l| l.id == vials.id).expect("lot");
    assert_eq!((now.doses_left, now.doses_wasted), (Some(0), 10));
    // And no injection can take a dose from it any more.
    let empty = api_error(
        h.app
            .post(
                "/api/vaccinations",
                &dose(h.structure_id, vials.id, &nir(7), Value::Null),
            )
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(empty.code, ErrorCode::LotExhausted);
    // Someone else's lot does not exist for this user.
    let other = crate::vaccination::outsider(&h.app).await;
    let hidden = other
        .post(&path, &json!({ "doses": 1, "reason": "Flacon cassé" }))
        .await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
}
