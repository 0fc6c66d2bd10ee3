//! Open data through the real API: the vacsi CSV header and format, JSON, filters, no sign-in;
//! and (property) the aggregates equal a recount from the raw tables after any sequence of
//! recordings, corrections and invalidations.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
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

    // Department files come one department at a time (each bounded by the campaign).
    for path in [
        "/api/statistics/departments.csv?clage_vacsi=0",
        "/api/statistics/departments",
    ] {
        let e = api_error(public_get(&h, path).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(e.message.contains("département"), "{}", e.message);
    }

    let e = api_error(
        public_get(&h, "/api/statistics/national.csv?clage_vacsi=12").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

/// Open data is cacheable: `Cache-Control: public`, an `ETag`, `304` with no body for the
/// version held, a new `ETag` once the counts move. Everything else of the API stays `no-store`.
#[tokio::test]
async fn public_files_are_cacheable_and_the_rest_is_not() {
    let h = hall().await;
    let birth = NaiveDate::from_ymd_opt(1960, 3, 1).expect("date");
    let record = |serial| new_patient(&h, &h.lot, birth, "77", serial, None);
    let _: VaccinationRecorded = ok_json(h.app.post("/api/vaccinations", &record(1)).await).await;
    let client = reqwest::Client::new();
    for path in [
        "/api/statistics/national",
        "/api/statistics/national.csv",
        "/api/statistics/departments?dep=77",
        "/api/statistics/departments.csv?dep=77",
    ] {
        let first = client.get(h.app.url(path)).send().await.expect("request");
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        assert_eq!(
            first.headers()["cache-control"],
            "public, max-age=300",
            "{path}"
        );
        let etag = first.headers()["etag"].to_str().expect("ascii").to_owned();
        assert!(etag.starts_with("W/\"") && etag.len() > 10, "{etag}");
        let body = first.bytes().await.expect("body");
        assert!(!body.is_empty());
        // The version held: 304, nothing sent again.
        let again = client
            .get(h.app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()["etag"].to_str().expect("ascii"), etag);
        assert!(again.bytes().await.expect("body").is_empty());
        // Another version: the full file.
        let other = client
            .get(h.app.url(path))
            .header("if-none-match", "\"autre\"")
            .send()
            .await
            .expect("request");
        assert_eq!(other.status(), StatusCode::OK);
        assert_eq!(other.bytes().await.expect("body"), body);
    }
    let before = client
        .get(h.app.url("/api/statistics/national"))
        .send()
        .await
        .expect("request")
        .headers()["etag"]
        .clone();
    for serial in 2..=12 {
        let _: VaccinationRecorded =
            ok_json(h.app.post("/api/vaccinations", &record(serial)).await).await;
    }
    let after = client
        .get(h.app.url("/api/statistics/national"))
        .header("if-none-match", before.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(
        after.status(),
        StatusCode::OK,
        "the counts moved: a new version"
    );
    assert_ne!(after.headers()["etag"], before);
    // A signed-in answer is never cached.
    let r = h.app.get("/api/session").await;
    assert_eq!(r.headers()["cache-control"], "no-store");
}

/// The largest public files there can be: an injection on the campaign's first day and one
/// today stretch the calendar to every campaign day. Each file holds exactly a row a class a
/// day, stays under 16 MiB, and the server (the real binary, on the same database) serves them
/// all with a peak resident memory under 256 MiB.
#[tokio::test]
async fn public_files_are_bounded_by_the_campaign() {
    let h = hall().await;
    let birth = NaiveDate::from_ymd_opt(1950, 1, 1).expect("date");
    let first_day = Paris
        .with_ymd_and_hms(2020, 12, 27, 10, 0, 0)
        .single()
        .expect("time")
        .with_timezone(&Utc);
    for (serial, at) in [(1, Some(first_day)), (2, None)] {
        let _: VaccinationRecorded = ok_json(
            h.app
                .post(
                    "/api/vaccinations",
                    &new_patient(&h, &h.lot, birth, "77", serial, at),
                )
                .await,
        )
        .await;
    }
    // A day before the campaign is refused: the calendar cannot start earlier.
    let before = first_day - Duration::days(1);
    let e = api_error(
        h.app
            .post(
                "/api/vaccinations",
                &new_patient(&h, &h.lot, birth, "77", 3, Some(before)),
            )
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(e.code, ErrorCode::InvalidInput);

    let today = Utc::now().with_timezone(&Paris).date_naive();
    let days = (today - first_day.with_timezone(&Paris).date_naive()).num_days() + 1;
    let rows = usize::try_from(15 * days).expect("rows");

    let server = ServerProcess::start(&h.app).await;
    const CEILING: usize = 16 << 20;
    for (path, lines) in [
        ("/api/statistics/national", None),
        ("/api/statistics/national.csv", Some(1 + rows)),
        ("/api/statistics/departments?dep=77", None),
        ("/api/statistics/departments.csv?dep=77", Some(1 + rows)),
    ] {
        let r = reqwest::get(server.url(path)).await.expect("request");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body = r.bytes().await.expect("body");
        assert!(body.len() < CEILING, "{path}: {} bytes", body.len());
        match lines {
            Some(n) => assert_eq!(
                body.split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .count(),
                n
            ),
            None => {
                let file: StatisticsFile = serde_json::from_slice(&body).expect("json");
                assert_eq!(file.rows.len(), rows, "{path}");
            }
        }
        println!("{path}: {} rows, {} bytes", rows, body.len());
    }
    let peak = server.peak_rss_kib();
    println!("server peak RSS: {peak} KiB");
    assert!(peak < 256 * 1024, "peak RSS {peak} KiB");
}

/// The `vigie` binary serving the test's database (same vault keys), on a port of its own.
struct ServerProcess {
    child: std::process::Child,
    base: url::Url,
}

impl ServerProcess {
    async fn start(app: &crate::helpers::TestApp) -> Self {
        use secrecy::ExposeSecret;
        use std::io::BufRead;
        let settings = app.settings();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
            .arg("serve")
            .current_dir(app.dir())
            .env_clear()
            .env("DATABASE_URL", settings.database_url.expose_secret())
            .env("VIGIE_LISTEN", "127.0.0.1:0")
            .env("VIGIE_PUBLIC_URL", "http://localhost:0")
            .env("VIGIE_DIST_DIR", app.dir().join("no-dist"))
            .env("VIGIE_VAULT__KEYS_FILE", &settings.vault.keys_file)
            .env("VIGIE_LOG", "error")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("vigie starts");
        let stdout = child.stdout.take().expect("stdout");
        let line = tokio::task::spawn_blocking(move || {
            std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .find(|l| l.contains("écoute sur"))
        })
        .await
        .expect("reader")
        .expect("the server says where it listens");
        let base = url::Url::parse(line.rsplit(' ').next().expect("url")).expect("url");
        Self { child, base }
    }

    fn url(&self, path: &str) -> url::Url {
        self.base.join(path).expect("path")
    }

    /// Peak resident set size so far (`VmHWM`), in KiB.
    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

/// What the test knows of one injection, from the requests it sent and the answers it got.
#[derive(Debug, Clone)]
struct Known {
    birth: NaiveDate,
    department: String,
    product: String,
    dose_number: i64,
    series_doses: i64,
    booster: bool,
    at: chrono::DateTime<Utc>,
    valid: bool,
}

type Key = (NaiveDate, String, i16, String);

/// The oracle, written from the published rules and not from the server's functions: per Paris
/// day of the injection, department of residence, age class (full years that day; classes
/// by their upper bound, 80 and more as 80) and product, the first doses, complete schedules
/// (a single-dose product's injection is both) and boosters of the valid injections.
fn expected(known: &[Known]) -> BTreeMap<Key, [i64; 3]> {
    let mut out: BTreeMap<Key, [i64; 3]> = BTreeMap::new();
    for k in known.iter().filter(|k| k.valid) {
        let day = k.at.with_timezone(&Paris).date_naive();
        let mut age = day.year() - k.birth.year();
        if (day.month(), day.day()) < (k.birth.month(), k.birth.day()) {
            age -= 1;
        }
        let class: i16 = [4i16, 9, 11, 17, 24, 29, 39, 49, 59, 64, 69, 74, 79]
            .into_iter()
            .find(|upper| age <= i32::from(*upper))
            .unwrap_or(80);
        let counts = [
            i64::from(!k.booster && k.dose_number == 1),
            i64::from(!k.booster && k.dose_number == k.series_doses),
            i64::from(k.booster),
        ];
        let e = out
            .entry((day, k.department.clone(), class, k.product.clone()))
            .or_default();
        for (e, c) in e.iter_mut().zip(counts) {
            *e += c;
        }
    }
    out.retain(|_, v| *v != [0, 0, 0]);
    out
}

/// The stored aggregates, read as plain rows (product ids named by their code).
async fn stored(
    db: &sea_orm::DatabaseConnection,
) -> (
    BTreeMap<Key, [i64; 3]>,
    BTreeMap<(String, NaiveDate, i16), [i64; 3]>,
) {
    use sea_orm::EntityTrait;
    use vigie_backend::{
        entities::vaccine_product,
        statistics::tables::{daily, detail},
    };
    let codes: std::collections::HashMap<Uuid, String> = vaccine_product::Entity::find()
        .all(db)
        .await
        .expect("products")
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    let detail = detail::Entity::find()
        .all(db)
        .await
        .expect("detail")
        .into_iter()
        .filter(|r| [r.n_dose1, r.n_complet, r.n_rappel] != [0, 0, 0])
        .map(|r| {
            (
                (
                    r.day,
                    r.department,
                    r.age_class,
                    codes[&r.product_id].clone(),
                ),
                [r.n_dose1, r.n_complet, r.n_rappel],
            )
        })
        .collect();
    let daily = daily::Entity::find()
        .all(db)
        .await
        .expect("daily")
        .into_iter()
        .filter(|r| [r.n_dose1, r.n_complet, r.n_rappel] != [0, 0, 0])
        .map(|r| {
            (
                (r.geo, r.day, r.age_class),
                [r.n_dose1, r.n_complet, r.n_rappel],
            )
        })
        .collect();
    (detail, daily)
}

/// The daily table as the oracle sees it: each detailed count in its department and in France,
/// products added up.
fn expected_daily(
    detail: &BTreeMap<Key, [i64; 3]>,
) -> BTreeMap<(String, NaiveDate, i16), [i64; 3]> {
    let mut out: BTreeMap<(String, NaiveDate, i16), [i64; 3]> = BTreeMap::new();
    for ((day, department, class, _), counts) in detail {
        for geo in ["FR", department.as_str()] {
            let e = out.entry((geo.to_owned(), *day, *class)).or_default();
            for (e, c) in e.iter_mut().zip(counts) {
                *e += c;
            }
        }
    }
    out
}

/// One hall for every case: the oracle accumulates what all the cases wrote.
struct Bench {
    h: Hall,
    jcovden: LotView,
    patients: Vec<(Uuid, NaiveDate, String)>,
    known: Vec<(Uuid, Known)>,
    serial: u32,
}

fn known_from(answer: &Value, birth: NaiveDate, department: &str) -> (Uuid, Known) {
    let i = &answer["injection"];
    (
        i["id"].as_str().expect("id").parse().expect("uuid"),
        Known {
            birth,
            department: department.to_owned(),
            product: i["product_code"].as_str().expect("product").to_owned(),
            dose_number: i["dose_number"].as_i64().expect("rank"),
            series_doses: i["series_doses"].as_i64().expect("series"),
            booster: i["booster"].as_bool().expect("booster"),
            at: serde_json::from_value(i["administered_at"].clone()).expect("date"),
            valid: true,
        },
    )
}

async fn run(b: &mut Bench, ops: Vec<Op>) {
    let now = b.h.app.state.now();
    let deps = ["75", "2A", "971", "48", "99"];
    for op in ops {
        b.serial += 1;
        let serial = b.serial;
        let lot = if matches!(
            op,
            Op::New { single: true, .. } | Op::Next { single: true, .. }
        ) {
            b.jcovden.clone()
        } else {
            b.h.lot.clone()
        };
        match op {
            Op::New { born, dep, ago, .. } => {
                let birth = NaiveDate::from_ymd_opt(born, 1 + (serial % 12), 1 + (serial % 28))
                    .expect("date");
                let body = new_patient(
                    &b.h,
                    &lot,
                    birth,
                    deps[dep],
                    serial,
                    Some(now - Duration::minutes(ago)),
                );
                let answer: Value = ok_json(b.h.app.post("/api/vaccinations", &body).await).await;
                let patient = answer["patient_id"]
                    .as_str()
                    .expect("patient")
                    .parse()
                    .expect("uuid");
                b.patients.push((patient, birth, deps[dep].to_owned()));
                b.known.push(known_from(&answer, birth, deps[dep]));
            }
            Op::Next { patient, ago, .. } if !b.patients.is_empty() => {
                let (id, birth, dep) = b.patients[patient % b.patients.len()].clone();
                let body = next_dose(&b.h, &lot, id, now - Duration::minutes(ago));
                let answer: Value = ok_json(b.h.app.post("/api/vaccinations", &body).await).await;
                b.known.push(known_from(&answer, birth, &dep));
            }
            Op::Correct { injection, ago } if !b.known.is_empty() => {
                let k = injection % b.known.len();
                let (id, was) = b.known[k].clone();
                let at = now - Duration::minutes(ago);
                let r =
                    b.h.app
                        .post(
                            &format!("/api/injections/{id}/correct"),
                            &json!({ "reason": "Date corrigée", "administered_at": at }),
                        )
                        .await;
                if was.valid {
                    let view: Value = ok_json(r).await;
                    let stored: chrono::DateTime<Utc> =
                        serde_json::from_value(view["administered_at"].clone()).expect("date");
                    // The date typed, as stored (to the microsecond).
                    assert!(
                        (stored - at).num_milliseconds().abs() < 1,
                        "{stored} for {at}"
                    );
                    b.known[k].1.at = stored;
                } else {
                    // Only an invalidated injection refuses a correction, and says so.
                    assert_eq!(
                        api_error(r, StatusCode::CONFLICT).await.code,
                        ErrorCode::CorrectionClosed
                    );
                }
            }
            Op::Invalidate { injection } if !b.known.is_empty() => {
                let k = injection % b.known.len();
                let (id, was) = b.known[k].clone();
                let r =
                    b.h.app
                        .post(
                            &format!("/api/injections/{id}/invalidate"),
                            &json!({ "reason": "Doublon" }),
                        )
                        .await;
                if was.valid {
                    ok_json::<Value>(r).await;
                    b.known[k].1.valid = false;
                } else {
                    assert_eq!(
                        api_error(r, StatusCode::CONFLICT).await.code,
                        ErrorCode::CorrectionClosed
                    );
                }
            }
            _ => {}
        }
    }
    let known: Vec<Known> = b.known.iter().map(|(_, k)| k.clone()).collect();
    let want = expected(&known);
    let (detail, daily) = stored(&b.h.app.state.db).await;
    assert_eq!(detail, want, "detail table against the oracle");
    assert_eq!(
        daily,
        expected_daily(&want),
        "daily table against the oracle"
    );
}

/// After any sequence of recordings (new and known patients, two-dose and single-dose
/// products, any day within 40 days), corrections of the date and invalidations, through the
/// real API, the aggregate tables equal an oracle computed by the test from what it sent and
/// was answered. 200 sequences on one hall (the oracle accumulates them all); every refusal is
/// asserted for its reason.
#[test]
fn aggregates_equal_an_independent_recount() {
    use proptest::test_runner::{Config, TestRunner};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bench = std::sync::Mutex::new(rt.block_on(async {
        let h = hall().await;
        let jcovden: LotView = ok_json(
            h.app
                .post(
                    &format!("/api/structures/{}/lots", h.structure_id),
                    &json!({ "product_code": "jcovden", "number": "JN0001", "expires_on": Utc::now().date_naive() + Duration::days(730), "doses_received": 100000 }),
                )
                .await,
        )
        .await;
        Bench { h, jcovden, patients: Vec::new(), known: Vec::new(), serial: 0 }
    }));
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        // Cases share the hall: a failure is reported as found, not shrunk.
        max_shrink_iters: 0,
        ..Config::default()
    });
    runner
        .run(&ops(), |ops| {
            let mut b = bench.lock().expect("bench");
            rt.block_on(run(&mut b, ops));
            Ok(())
        })
        .expect("every case holds");
}

/// Small counts through the public department files: a department with 1 or 10 first doses on
/// a day is published blank in every count (and rate) column, in JSON and CSV alike; one with
/// 11 has its cumulative published, rounded to the nearest ten (11 → 10). Its daily column
/// stays blank (the increase of the published cumulatives, 10, is itself under 11), and so do
/// its all-ages row (the sum of its published classes, 10) and every other class.
#[tokio::test]
async fn department_files_blank_ten_injections_a_day_and_publish_eleven() {
    let h = hall().await;
    let birth = NaiveDate::from_ymd_opt(1958, 4, 2).expect("date");
    let mut serial = 0;
    for (department, n) in [("77", 11), ("93", 10), ("2A", 1)] {
        for _ in 0..n {
            serial += 1;
            let _: VaccinationRecorded = ok_json(
                h.app
                    .post(
                        "/api/vaccinations",
                        &new_patient(&h, &h.lot, birth, department, serial, None),
                    )
                    .await,
            )
            .await;
        }
    }
    let today = h.app.state.now().with_timezone(&Paris).date_naive();
    let class_index = statistics::CLASSES
        .iter()
        .position(|c| *c == statistics::age_class(statistics::age_on(birth, today)))
        .expect("class")
        + 1;
    let class = vigie_shared::api::statistics::AGE_CLASSES[class_index];
    let day = today.format("%Y-%m-%d").to_string();

    for (department, published) in [("77", Some(10)), ("93", None), ("2A", None)] {
        // JSON: every class of the department, one day.
        let file: StatisticsFile =
            ok_json(public_get(&h, &format!("/api/statistics/departments?dep={department}")).await)
                .await;
        assert_eq!(file.rows.len(), 15, "{department}");
        for row in &file.rows {
            assert_eq!(row.dep.as_deref(), Some(department));
            assert_eq!(row.jour, today);
            let expected = if row.clage_vacsi == class {
                published
            } else {
                None
            };
            assert_eq!(
                row.n_cum_dose1, expected,
                "{department} {}",
                row.clage_vacsi
            );
            assert_eq!(row.n_dose1, None, "{department} {}", row.clage_vacsi);
            assert_eq!(
                (
                    row.n_complet,
                    row.n_rappel,
                    row.n_cum_complet,
                    row.n_cum_rappel
                ),
                (None, None, None, None)
            );
            if expected.is_none() {
                assert_eq!(row.couv_dose1, None, "{department} {}", row.clage_vacsi);
            }
        }
        // CSV: the same, blanks as empty fields.
        let text = public_get(
            &h,
            &format!("/api/statistics/departments.csv?dep={department}&clage_vacsi={class}"),
        )
        .await
        .text()
        .await
        .expect("body");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        match published {
            Some(n) => assert!(
                lines[1].starts_with(&format!("{department};{class};{day};;;;{n};;;")),
                "{text}"
            ),
            None => assert_eq!(lines[1], format!("{department};{class};{day};;;;;;;;;")),
        }
    }
}
