//! Open data through the real API: the vacsi CSV header and format, JSON, filters, no sign-in;
//! and (property) the aggregates equal a recount from the raw tables after any sequence of
//! recordings, corrections and invalidations.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;
use vigie_backend::statistics;
use vigie_shared::{
    ErrorCode,
    api::{
        statistics::{DEPARTMENT_CSV_HEADER, NATIONAL_CSV_HEADER, StatisticsFile},
        vaccination::{LotView, VaccinationRecorded},
    },
};

use crate::{
    helpers::{api_error, ok_json},
    vaccination::{Hall, hall},
};

/// A valid NIR (key = 97 − first 13 digits mod 97) for a woman born on `birth`.
fn nir(birth: NaiveDate, serial: u32) -> String {
    let body = format!(
        "2{:02}{:02}75{:06}",
        birth.year() % 100,
        birth.month(),
        serial
    );
    let n: u64 = body.parse().expect("digits");
    format!("{body}{:02}", 97 - n % 97)
}

fn new_patient(
    h: &Hall,
    lot: &LotView,
    birth: NaiveDate,
    department: &str,
    serial: u32,
    at: Option<chrono::DateTime<Utc>>,
) -> Value {
    json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": h.structure_id,
        "patient": {
            "kind": "new", "nir": nir(birth, serial), "family_name": "Essai",
            "given_names": "Camille", "birth_date": birth, "sex": "female",
            "residence_department": department, "esms_finess": null
        },
        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
        "injection": { "product_code": lot.product_code, "lot_id": lot.id, "site": "left_deltoid", "administered_at": at,
            "confirmed_warnings": ["interval_too_short", "product_mixing", "age_outside_indication"] }
    })
}

fn next_dose(h: &Hall, lot: &LotView, patient: Uuid, at: chrono::DateTime<Utc>) -> Value {
    json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": h.structure_id,
        "patient": { "kind": "existing", "id": patient },
        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
        "injection": { "product_code": lot.product_code, "lot_id": lot.id, "site": "left_deltoid", "administered_at": at,
            "confirmed_warnings": ["interval_too_short", "product_mixing", "age_outside_indication"] }
    })
}

/// Public: a client with no session.
async fn public_get(h: &Hall, path: &str) -> reqwest::Response {
    reqwest::get(h.app.url(path)).await.expect("request")
}

#[tokio::test]
async fn the_csv_files_have_the_vacsi_layout() {
    let h = hall().await;
    let birth = NaiveDate::from_ymd_opt(1955, 8, 20).expect("date");
    for serial in 0..15 {
        let _: VaccinationRecorded = ok_json(
            h.app
                .post(
                    "/api/vaccinations",
                    &new_patient(&h, &h.lot, birth, "77", serial + 1, None),
                )
                .await,
        )
        .await;
    }
    let today = h.app.state.now().with_timezone(&Paris).date_naive();
    let class_index = statistics::CLASSES
        .iter()
        .position(|c| *c == statistics::age_class(statistics::age_on(birth, today)))
        .expect("class")
        + 1;
    let class = vigie_shared::api::statistics::AGE_CLASSES[class_index];

    let response = public_get(&h, "/api/statistics/national.csv").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().expect("ascii"),
        "text/csv; charset=utf-8"
    );
    let text = response.text().await.expect("body");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "fra;clage_vacsi;jour;n_dose1;n_complet;n_rappel;n_cum_dose1;n_cum_complet;n_cum_rappel;couv_dose1;couv_complet;couv_rappel"
    );
    assert_eq!(lines[0], NATIONAL_CSV_HEADER);
    // One day, 15 age classes, in file order; 12 fields everywhere; LF line ends.
    assert_eq!(lines.len(), 1 + 15);
    assert!(!text.contains('\r'));
    let classes: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(';').nth(1).expect("class"))
        .collect();
    assert_eq!(classes, vigie_shared::api::statistics::AGE_CLASSES);
    for line in &lines[1..] {
        assert_eq!(line.split(';').count(), 12, "{line}");
    }
    // 15 first doses (true) → 20 published, daily and cumulative; coverage on the true 15.
    let pop = statistics::population::of("FR", class_index).expect("population");
    let couv = format!("{:.1}", (1000.0 * 15.0 / pop).round() / 10.0);
    let day = today.format("%Y-%m-%d");
    assert!(
        lines.contains(&format!("FR;{class};{day};20;;;20;;;{couv};;").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!("FR;0;{day};20;;;20;;;0.0;;").as_str()),
        "{text}"
    );
    // A class with nobody: blank counts, blank rates.
    assert!(
        lines.contains(&format!("FR;04;{day};;;;;;;;;").as_str()),
        "{text}"
    );

    // Department file, one department, one class.
    let text = public_get(
        &h,
        &format!("/api/statistics/departments.csv?dep=77&clage_vacsi={class}"),
    )
    .await
    .text()
    .await
    .expect("body");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], DEPARTMENT_CSV_HEADER);
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].starts_with(&format!("77;{class};{day};20;;;20;;;")),
        "{text}"
    );

    // JSON: the same rows, blanks as null.
    let file: StatisticsFile =
        ok_json(public_get(&h, "/api/statistics/national?clage_vacsi=0").await).await;
    assert_eq!(file.level, "fra");
    assert!(file.population_source.contains("2022"));
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.rows[0].fra.as_deref(), Some("FR"));
    assert_eq!(file.rows[0].n_cum_dose1, Some(20));
    assert_eq!(file.rows[0].n_complet, None);
    let raw: Value = ok_json(public_get(&h, "/api/statistics/departments?dep=2A").await).await;
    assert_eq!(raw["level"], "dep");
    assert_eq!(raw["rows"].as_array().expect("rows").len(), 15);
    assert_eq!(raw["rows"][0]["dep"], "2A");
    assert!(raw["rows"][0]["n_dose1"].is_null());
    assert!(raw["rows"][0].get("fra").is_none());

    // Every department is in the all-departments file, whether it has counts or not.
    let text = public_get(&h, "/api/statistics/departments.csv?clage_vacsi=0")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(text.lines().count(), 1 + 103);

    let e = api_error(
        public_get(&h, "/api/statistics/national.csv?clage_vacsi=12").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

#[derive(Debug, Clone)]
enum Op {
    New {
        born: i32,
        dep: usize,
        ago: i64,
        single: bool,
    },
    Next {
        patient: usize,
        ago: i64,
        single: bool,
    },
    Correct {
        injection: usize,
        ago: i64,
    },
    Invalidate {
        injection: usize,
    },
}

/// Minutes before now: up to 40 days, so that days and Paris midnights vary.
fn ops() -> impl Strategy<Value = Vec<Op>> {
    let ago = 0i64..(40 * 24 * 60);
    let op = prop_oneof![
        3 => (1925i32..2022, 0usize..5, ago.clone(), prop::bool::weighted(0.2))
            .prop_map(|(born, dep, ago, single)| Op::New { born, dep, ago, single }),
        3 => (any::<usize>(), ago.clone(), prop::bool::weighted(0.2))
            .prop_map(|(patient, ago, single)| Op::Next { patient, ago, single }),
        2 => (any::<usize>(), ago).prop_map(|(injection, ago)| Op::Correct { injection, ago }),
        1 => any::<usize>().prop_map(|injection| Op::Invalidate { injection }),
    ];
    prop::collection::vec(op, 1..30)
}

async fn run(ops: Vec<Op>) {
    let h = hall().await;
    let jcovden: LotView = ok_json(
        h.app
            .post(
                &format!("/api/structures/{}/lots", h.structure_id),
                &json!({ "product_code": "jcovden", "number": "JN0001", "expires_on": chrono::Utc::now().date_naive() + chrono::Duration::days(730) }),
            )
            .await,
    )
    .await;
    let now = h.app.state.now();
    let deps = ["75", "2A", "971", "48", "99"];
    let mut patients: Vec<Uuid> = Vec::new();
    let mut injections: Vec<Uuid> = Vec::new();
    for (serial, op) in ops.into_iter().enumerate() {
        let serial = serial as u32 + 1;
        let lot = |single: bool| if single { &jcovden } else { &h.lot };
        let recording = matches!(op, Op::New { .. } | Op::Next { .. });
        let response = match op {
            Op::New {
                born,
                dep,
                ago,
                single: s,
            } => {
                let birth = NaiveDate::from_ymd_opt(born, 1 + (serial % 12), 1 + (serial % 28))
                    .expect("date");
                h.app
                    .post(
                        "/api/vaccinations",
                        &new_patient(
                            &h,
                            lot(s),
                            birth,
                            deps[dep],
                            serial,
                            Some(now - Duration::minutes(ago)),
                        ),
                    )
                    .await
            }
            Op::Next {
                patient,
                ago,
                single: s,
            } if !patients.is_empty() => {
                let p = patients[patient % patients.len()];
                h.app
                    .post(
                        "/api/vaccinations",
                        &next_dose(&h, lot(s), p, now - Duration::minutes(ago)),
                    )
                    .await
            }
            Op::Correct { injection, ago } if !injections.is_empty() => {
                let id = injections[injection % injections.len()];
                h.app
                    .post(
                        &format!("/api/injections/{id}/correct"),
                        &json!({ "reason": "Date corrigée", "administered_at": now - Duration::minutes(ago) }),
                    )
                    .await
            }
            Op::Invalidate { injection } if !injections.is_empty() => {
                let id = injections[injection % injections.len()];
                h.app
                    .post(
                        &format!("/api/injections/{id}/invalidate"),
                        &json!({ "reason": "Doublon" }),
                    )
                    .await
            }
            _ => continue,
        };
        if response.status() != StatusCode::OK {
            // Corrections and invalidations of an invalidated injection are refused; a
            // recording is never.
            assert!(!recording, "refused: {:?}", response.text().await);
            continue;
        }
        let body: Value = response.json().await.expect("json");
        if let Some(p) = body["patient_id"].as_str() {
            let p: Uuid = p.parse().expect("uuid");
            if !patients.contains(&p) {
                patients.push(p);
            }
            if let Some(i) = body["injection"]["id"].as_str() {
                injections.push(i.parse().expect("uuid"));
            }
        }
    }
    let db = &h.app.state.db;
    let truth = statistics::recount(db).await.expect("recount");
    assert_eq!(statistics::stored(db).await.expect("stored"), truth);
    assert_eq!(
        statistics::stored_daily(db).await.expect("daily"),
        statistics::roll_up(&truth)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    /// After any sequence of recordings (new and known patients, two-dose and single-dose
    /// products, any day within 40 days), corrections of the date and invalidations, through
    /// the real API, the aggregates equal a recount from the injections and patients.
    #[test]
    fn aggregates_equal_a_recount(ops in ops()) {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(run(ops));
    }
}
