//! Benchmark (not a test), on SQLite with the app's own connection settings (WAL,
//! synchronous=FULL, busy timeout, 8 connections; `vigie_backend::db::connect`):
//!
//! 1. Injections recorded per second through the full API (`POST /api/vaccinations`: session,
//!    validation, dose rank, audit chain, idempotency), CLIENTS concurrent clients (default 64)
//!    for SECONDS (default 10), each write a new patient; p50/p99 from the first attempt to the
//!    200 (a 5xx is retried with the same key, as a tablet does, and counted). Baseline, same run,
//!    same file, same settings and concurrency: one plain INSERT of an injection-sized row per
//!    transaction. Prints the ratio.
//!    Then an open loop: BENCH_RATE writes a second (default 200) offered for SECONDS, p50/p99
//!    from the moment each was due; and the writer's batches (writes per commit).
//! 2. `POST /api/patients/lookup` (by NIR) p50/p99 with 10 k injections in the database, then
//!    with LARGE (default 1 M), seeded directly in large transactions (patients with one
//!    injection, every third with two, each with its consultation). Prints the p99 ratio.
//!
//!     cargo run --release -p vigie-backend --example injection_bench [-- LARGE]
//!
//! Environment: `BENCH_SECONDS`, `BENCH_CLIENTS`, `BENCH_LOOKUPS` (samples per size, default
//! 2000), `BENCH_INJECTIONS` (LARGE, when no argument is given).

#[path = "common/sign_in.rs"]
mod sign_in;
use sign_in::sign_in;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, Statement, TransactionTrait,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;
use vigie_backend::{
    Application, Settings, demo,
    entities::{consultation, injection, patient, professional, vaccine_product},
};
use vigie_shared::Sex;
use vigie_shared::api::vaccination::{
    ConsultationOutcome, InjectionSite, InjectionStatus, LotView, PatientLookupResult,
    VaccinationContext,
};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A valid NIR (key = 97 − first 13 digits mod 97) agreeing with the sex and birth date.
fn nir(female: bool, birth: NaiveDate, department: u32, serial: u32) -> String {
    let body = format!(
        "{}{:02}{:02}{:02}{:06}",
        if female { 2 } else { 1 },
        birth.year() % 100,
        birth.month(),
        department,
        serial
    );
    let n: u64 = body.parse().expect("digits");
    format!("{body}{:02}", 97 - n % 97)
}

/// The k-th seeded patient: born 1930–1999, NIR department 10.. (one per million patients).
fn seeded(k: u64) -> (String, bool, NaiveDate) {
    let female = k.is_multiple_of(2);
    let birth = NaiveDate::from_ymd_opt(1930 + (k % 70) as i32, 1 + ((k / 70) % 12) as u32, 10)
        .expect("date");
    let nir = nir(
        female,
        birth,
        10 + (k / 1_000_000) as u32,
        (k % 1_000_000) as u32,
    );
    (nir, female, birth)
}

/// The i-th patient written through the API (NIR department 77, apart from the seeded ones).
fn api_patient(i: u64, structure_id: Uuid, lot_id: Uuid) -> Value {
    let female = i % 2 == 1;
    let birth =
        NaiveDate::from_ymd_opt(1940 + (i % 60) as i32, 1 + (i % 12) as u32, 15).expect("date");
    json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": structure_id,
        "patient": {
            "kind": "new",
            "nir": nir(female, birth, 77, i as u32),
            "family_name": format!("Banc {i}"),
            "given_names": "Camille",
            "birth_date": birth,
            "sex": if female { "female" } else { "male" },
            "residence_department": "77",
            "esms_finess": null
        },
        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
        "injection": { "product_code": "comirnaty", "lot_id": lot_id, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": [] }
    })
}

#[derive(Default)]
struct Run {
    done: u64,
    errors: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn print(&self, name: &str) -> f64 {
        let mut l = self.latencies.clone();
        l.sort();
        let rate = self.done as f64 / self.elapsed.as_secs_f64();
        println!(
            "{name:<46} {rate:>8.0} /s  p50 {:>7.2} ms  p99 {:>7.2} ms  (n={}, 5xx retried {})",
            ms(percentile(&l, 0.5)),
            ms(percentile(&l, 0.99)),
            self.done,
            self.errors
        );
        rate
    }
}

/// `clients` loops of `op` for `seconds`; `op` returns the 5xx it retried.
async fn drive<F, Fut>(clients: usize, seconds: u64, op: F) -> Run
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<u64>> + Send,
{
    let op = Arc::new(op);
    let serial = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (op, serial) = (op.clone(), serial.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                while Instant::now() < end {
                    let i = serial.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    errors += op(i).await?;
                    latencies.push(t.elapsed());
                }
                Ok::<_, anyhow::Error>((latencies, errors))
            })
        })
        .collect();
    let mut run = Run::default();
    for t in tasks {
        let (l, e) = t.await.expect("task").expect("operation");
        run.done += l.len() as u64;
        run.errors += e;
        run.latencies.extend(l);
    }
    run.elapsed = start.elapsed();
    run
}

/// `op` started every 1/`rate` s for `seconds`, each on its own task; latency counts from the
/// moment it was due.
async fn open_loop<F, Fut>(rate: u64, seconds: u64, op: F) -> Run
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<u64>> + Send + 'static,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let n = rate * seconds;
    let mut tasks = Vec::with_capacity(n as usize);
    for i in 0..n {
        let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let errors = op(i).await?;
            Ok::<_, anyhow::Error>((due.elapsed(), errors))
        }));
    }
    let mut run = Run::default();
    for t in tasks {
        let (l, e) = t.await.expect("task").expect("operation");
        run.done += 1;
        run.errors += e;
        run.latencies.push(l);
    }
    run.elapsed = start.elapsed();
    run
}

/// POSTs until a non-5xx answer (same body, so same idempotency key); returns the 5xx count.
async fn post_retrying(c: &reqwest::Client, url: &Url, body: &Value) -> anyhow::Result<u64> {
    let mut retried = 0;
    loop {
        let r = c.post(url.clone()).json(body).send().await?;
        let status = r.status();
        if status.is_success() {
            r.bytes().await?;
            return Ok(retried);
        }
        let text = r.text().await?;
        anyhow::ensure!(
            status.is_server_error() && retried < 100,
            "{status}: {text}"
        );
        retried += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

struct Ids {
    structure: Uuid,
    lot: Uuid,
    product: Uuid,
    professional: Uuid,
}

/// Adds patients with one injection (every third with two) and their consultations, directly,
/// until the database holds `target` injections. Returns the number of patients seeded so far.
async fn seed(
    db: &DatabaseConnection,
    fingerprint: &vigie_backend::vault::Fingerprint,
    ids: &Ids,
    mut next_patient: u64,
    target: u64,
) -> anyhow::Result<u64> {
    const ROWS_PER_STATEMENT: usize = 1000; // 21 columns: under SQLite's 32766 parameters
    const INJECTIONS_PER_TRANSACTION: u64 = 100_000;
    let mut have = injection::Entity::find().count(db).await?;
    // The write phase may already have passed the target: seed some patients to look up anyway.
    let target = target.max(have + 1_000);
    let session = Uuid::new_v4();
    let now = Utc::now();
    let at = now - chrono::Duration::days(30);
    while have < target {
        let txn = db.begin().await?;
        let batch_end = (have + INJECTIONS_PER_TRANSACTION).min(target);
        let (mut patients, mut consultations, mut injections) =
            (Vec::new(), Vec::new(), Vec::new());
        while have < batch_end {
            let k = next_patient;
            next_patient += 1;
            let (nir, female, birth) = seeded(k);
            let patient_id = Uuid::new_v4();
            patients.push(patient::ActiveModel {
                id: Set(patient_id),
                nir_key: Set(fingerprint.of(&nir)),
                nir_masked: Set(vigie_backend::vaccination::service::mask_nir(&nir)),
                family_name: Set(format!("SEED{k}")),
                given_names: Set("Dominique".into()),
                birth_date: Set(birth),
                sex: Set(if female { Sex::Female } else { Sex::Male }),
                residence_department: Set("75".into()),
                esms_finess: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
            });
            let doses: u64 = if k.is_multiple_of(3) { 2 } else { 1 };
            for dose in 1..=doses.min(batch_end - have) {
                let consultation_id = Uuid::new_v4();
                let when = at + chrono::Duration::days(21 * (dose as i64 - 1));
                consultations.push(consultation::ActiveModel {
                    id: Set(consultation_id),
                    patient_id: Set(patient_id),
                    structure_id: Set(ids.structure),
                    professional_id: Set(ids.professional),
                    staff_member_id: Set(None),
                    session_id: Set(session),
                    terminal_id: Set(None),
                    eligible: Set(true),
                    contraindications: Set(String::new()),
                    consent: Set(true),
                    outcome: Set(ConsultationOutcome::Vaccinate),
                    postpone_reason: Set(None),
                    created_at: Set(when),
                });
                injections.push(injection::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    patient_id: Set(patient_id),
                    consultation_id: Set(Some(consultation_id)),
                    structure_id: Set(ids.structure),
                    product_id: Set(ids.product),
                    lot_id: Set(ids.lot),
                    dose_number: Set(dose as i32),
                    series_doses: Set(2),
                    booster: Set(false),
                    site: Set(InjectionSite::LeftDeltoid),
                    administered_at: Set(when),
                    professional_id: Set(ids.professional),
                    staff_member_id: Set(None),
                    session_id: Set(session),
                    terminal_id: Set(None),
                    esms_finess: Set(None),
                    status: Set(InjectionStatus::Valid),
                    version: Set(1),
                    confirmed_warnings: Set("[]".into()),
                    created_at: Set(when),
                    updated_at: Set(when),
                    contested_at: Set(None),
                    contest_reason: Set(None),
                    contested_by: Set(None),
                    place_kind: Set(None),
                    place_address: Set(None),
                });
                have += 1;
            }
        }
        while !patients.is_empty() {
            let rest = patients.split_off(patients.len().min(ROWS_PER_STATEMENT));
            patient::Entity::insert_many(std::mem::replace(&mut patients, rest))
                .exec_without_returning(&txn)
                .await?;
        }
        while !consultations.is_empty() {
            let rest = consultations.split_off(consultations.len().min(ROWS_PER_STATEMENT));
            consultation::Entity::insert_many(std::mem::replace(&mut consultations, rest))
                .exec_without_returning(&txn)
                .await?;
        }
        while !injections.is_empty() {
            let rest = injections.split_off(injections.len().min(ROWS_PER_STATEMENT));
            injection::Entity::insert_many(std::mem::replace(&mut injections, rest))
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok(next_patient)
}

/// A fresh PostgreSQL database named after the admin URL's server.
async fn fresh_postgres(admin_url: &str) -> anyhow::Result<String> {
    let name = format!("vigie_bench_{}", Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await?;
    let mut u = Url::parse(admin_url)?;
    u.set_path(&format!("/{name}"));
    Ok(u.to_string())
}

/// PostgreSQL: full-API writes/s with one instance, then with two on the same database (the
/// clients alternate), and how long sealing held the audit chain's lock per write against the
/// write's whole duration (the write's own transaction holds it not at all).
///
/// Two instances are measured the way they are deployed: the database's connection budget
/// (16 here) split between them (8 each). With 16 each as well, PostgreSQL runs twice as many
/// backends on the same cores; that run is printed too, apart.
async fn postgres(admin_url: &str, seconds: u64, clients: usize) -> anyhow::Result<()> {
    vigie_backend::telemetry::init("off");
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        listen: "127.0.0.1:0".parse()?,
        public_url: Url::parse("http://localhost:0")?,
        database_url: SecretString::from(fresh_postgres(admin_url).await?),
        dist_dir: dir.path().join("none"),
        vault: vigie_backend::vault::VaultSettings {
            keys_file: dir.path().join("vigie.keys"),
            keys: None,
        },
        log: "off".into(),
        database_connections: 16,
        ..Settings::default()
    };
    let first = Application::build(settings.clone()).await?;
    let state = first.state.clone();
    demo::load(&state.db).await?;
    let more = |connections| {
        let settings = Settings {
            public_url: state.settings.public_url.clone(),
            database_connections: connections,
            ..settings.clone()
        };
        Application::build_with_clock(settings, state.clock.clone())
    };
    // [one of 16, then a pair of 8 each, then a second of 16 for the oversubscribed pair]
    let apps = [first, more(8).await?, more(8).await?, more(16).await?];
    let bases: Vec<Url> = apps
        .iter()
        .map(|a| Url::parse(&format!("http://127.0.0.1:{}", a.port())))
        .collect::<Result<_, _>>()?;
    for app in apps {
        tokio::spawn(app.run_until_stopped());
    }
    let c = sign_in(&state, &bases[0]).await?;
    let context: VaccinationContext = c
        .get(bases[0].join("/api/vaccination/context")?)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let structure_id = context.structures[0].id;
    let lot: LotView = c
        .post(bases[0].join(&format!("/api/structures/{structure_id}/lots"))?)
        .json(
            &json!({ "product_code": "comirnaty", "number": "BENCH1", "expires_on": chrono::Utc::now().date_naive() + chrono::Duration::days(730), "doses_received": 100000 }),
        )
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("== Writes on PostgreSQL: {clients} concurrent clients, {seconds} s each");
    // One, two, two, one: the database grows during the runs, and whichever came second would
    // be slower for it; in this order each count gets the same mean position.
    let mut rates = [Vec::new(), Vec::new()];
    let solo = &bases[..1];
    let pair = &bases[1..3];
    let crowded = [bases[0].clone(), bases[3].clone()];
    let runs: [(&[Url], &str); 5] = [
        (solo, "1 instance (16 connections)"),
        (pair, "2 instances (8 connections each)"),
        (pair, "2 instances (8 connections each)"),
        (solo, "1 instance (16 connections)"),
        (&crowded, "2 instances (16 connections each)"),
    ];
    for (round, (instances, name)) in runs.into_iter().enumerate() {
        let urls: Vec<Url> = instances
            .iter()
            .map(|b| b.join("/api/vaccinations"))
            .collect::<Result<_, _>>()?;
        let sealing = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        let s = &vigie_backend::audit::SEALING;
        let (held0, events0, seals0) = (
            sealing(&s.held_nanos),
            sealing(&s.events),
            sealing(&s.seals),
        );
        let cpu0 = cpu_ticks();
        let run = {
            let c = c.clone();
            drive(clients, seconds, move |i| {
                let (c, url) = (c.clone(), urls[i as usize % urls.len()].clone());
                let body = api_patient(100_000 * (round as u64 + 1) + i, structure_id, lot.id);
                async move { post_retrying(&c, &url, &body).await }
            })
            .await
        };
        let rate = run.print(&format!("POST /api/vaccinations, {name}"));
        if round < 4 {
            rates[instances.len() - 1].push(rate);
        }
        let busy = busy_share(cpu0, cpu_ticks());
        let held = (sealing(&s.held_nanos) - held0) as f64 / 1e6;
        let events = (sealing(&s.events) - events0).max(1) as f64;
        let seals = (sealing(&s.seals) - seals0).max(1) as f64;
        let mean = run.latencies.iter().map(|d| ms(*d)).sum::<f64>() / run.done.max(1) as f64;
        println!(
            "  audit chain lock: 0 ms in the write's transaction; sealing held it {:.3} ms per event, {:.2} % of a write's mean {:.2} ms",
            held / events,
            100.0 * held / events / mean,
            mean
        );
        // Whether the machine's CPUs (servers, PostgreSQL, these clients) were the limit, and
        // how much of the wall time any seal held the chain's lock at all.
        println!(
            "  CPU busy {:.0} % of all cores; the chain's lock held {:.1} % of the run's wall time; {:.0} events per seal",
            100.0 * busy,
            100.0 * held / (run.elapsed.as_secs_f64() * 1e3),
            events / seals
        );
    }
    let mean = |r: &[f64]| r.iter().sum::<f64>() / r.len() as f64;
    println!(
        "ratio two instances ÷ one, same connection budget (means of two runs each): {:.2}×",
        mean(&rates[1]) / mean(&rates[0])
    );
    Ok(())
}

/// (busy, total) CPU ticks of the whole machine so far (`/proc/stat`; zeros elsewhere).
fn cpu_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().next() else {
        return (0, 0);
    };
    let n: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = n.iter().sum();
    // idle and iowait are the 4th and 5th fields.
    let idle = n.get(3).copied().unwrap_or(0) + n.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// The share of the machine's CPU time that was busy between two readings.
fn busy_share(before: (u64, u64), after: (u64, u64)) -> f64 {
    let total = after.1.saturating_sub(before.1);
    if total == 0 {
        return 0.0;
    }
    after.0.saturating_sub(before.0) as f64 / total as f64
}

/// Sequential lookups of seeded patients spread over the whole table (one client).
async fn lookups(
    c: &reqwest::Client,
    base: &Url,
    patients: u64,
    samples: usize,
) -> anyhow::Result<Vec<Duration>> {
    let url = base.join("/api/patients/lookup")?;
    let mut out = Vec::with_capacity(samples);
    for s in 0..samples as u64 {
        // A multiplicative walk: each sample a different patient, anywhere in the table.
        let k = (s * 2_654_435_761) % patients;
        let body = json!({ "nir": seeded(k).0 });
        let t = Instant::now();
        let r = c.post(url.clone()).json(&body).send().await?;
        anyhow::ensure!(r.status().is_success(), "lookup: {}", r.status());
        let found: PatientLookupResult = r.json().await?;
        out.push(t.elapsed());
        anyhow::ensure!(found.patient.is_some(), "seeded patient {k} not found");
    }
    out.sort();
    Ok(out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let large: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or_else(|| env_or("BENCH_INJECTIONS", 1_000_000));
    let small: u64 = 10_000;
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let clients: usize = env_or("BENCH_CLIENTS", 64);
    let samples: usize = env_or("BENCH_LOOKUPS", 2000);
    anyhow::ensure!(large > small, "LARGE must exceed 10 000");
    if let Ok(url) = std::env::var("DATABASE_URL")
        && url.starts_with("postgres")
    {
        return postgres(&url, seconds, clients).await;
    }

    let dir = tempfile::tempdir()?;
    let db_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let settings = Settings {
        listen: "127.0.0.1:0".parse()?,
        public_url: Url::parse("http://localhost:0")?,
        database_url: SecretString::from(db_url.clone()),
        dist_dir: dir.path().join("none"),
        vault: vigie_backend::vault::VaultSettings {
            keys_file: dir.path().join("vigie.keys"),
            keys: None,
        },
        log: "off".into(),
        // One professional measures hundreds of look-ups: past the hourly limit of a person.
        patient_lookups_per_hour: i32::MAX,
        ..Settings::default()
    };
    // The 5xx are counted below; their error logs would drown the figures.
    vigie_backend::telemetry::init("off");
    let app = Application::build(settings).await?;
    let port = app.port();
    let base = Url::parse(&format!("http://127.0.0.1:{port}"))?;
    let state = app.state.clone();
    demo::load(&state.db).await?;
    tokio::spawn(app.run_until_stopped());

    let c = sign_in(&state, &base).await?;
    let context: VaccinationContext = c
        .get(base.join("/api/vaccination/context")?)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let structure_id = context.structures[0].id;
    let lot: LotView = c
        .post(base.join(&format!("/api/structures/{structure_id}/lots"))?)
        .json(
            &json!({ "product_code": "comirnaty", "number": "BENCH1", "expires_on": chrono::Utc::now().date_naive() + chrono::Duration::days(730), "doses_received": 100000 }),
        )
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;

    println!(
        "== Writes: {clients} concurrent clients, {seconds} s each, SQLite (WAL, synchronous=FULL), same file"
    );
    let url = base.join("/api/vaccinations")?;
    // Baseline: the same file through a pool with the app's settings, one INSERT per transaction.
    let raw_db = vigie_backend::db::connect(&db_url).await?;
    raw_db
        .execute_unprepared(
            "CREATE TABLE bench_raw (id BLOB PRIMARY KEY NOT NULL, patient_id BLOB NOT NULL, \
             consultation_id BLOB, structure_id BLOB NOT NULL, product_id BLOB NOT NULL, \
             lot_id BLOB NOT NULL, dose_number INTEGER NOT NULL, series_doses INTEGER NOT NULL, \
             booster INTEGER NOT NULL, site TEXT NOT NULL, administered_at TEXT NOT NULL, \
             professional_id BLOB NOT NULL, staff_member_id BLOB, session_id BLOB NOT NULL, \
             terminal_id BLOB, esms_finess TEXT, status TEXT NOT NULL, version INTEGER NOT NULL, \
             confirmed_warnings TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
        )
        .await?;
    let raw_run = || {
        let db = raw_db.clone();
        drive(clients, seconds, move |_| {
            let db = db.clone();
            async move {
                let now = Utc::now();
                let txn = db.begin().await?;
                txn.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "INSERT INTO bench_raw VALUES \
                     (?, ?, ?, ?, ?, ?, 1, 2, 0, 'left_deltoid', ?, ?, NULL, ?, NULL, NULL, 'valid', 1, '[]', ?, ?)",
                    [
                        Uuid::new_v4().into(),
                        Uuid::new_v4().into(),
                        Uuid::new_v4().into(),
                        structure_id.into(),
                        Uuid::new_v4().into(),
                        lot.id.into(),
                        now.into(),
                        Uuid::new_v4().into(),
                        Uuid::new_v4().into(),
                        now.into(),
                        now.into(),
                    ],
                ))
                .await?;
                txn.commit().await?;
                Ok(0)
            }
        })
    };
    let api_run = |first_patient: u64| {
        let (c, url) = (c.clone(), url.clone());
        drive(clients, seconds, move |i| {
            let (c, url) = (c.clone(), url.clone());
            let body = api_patient(first_patient + i, structure_id, lot.id);
            async move { post_retrying(&c, &url, &body).await }
        })
    };
    // Raw, API, API, raw: the file grows and the disk's flush time drifts during the runs; in
    // this order both kinds get the same mean position, and the ratio compares like with like.
    let (mut raw_rates, mut api_rates) = (Vec::new(), Vec::new());
    let (mut raw_latencies, mut api_latencies) = (Vec::new(), Vec::new());
    let writes_before = state.writer.as_ref().map(|w| w.counts());
    for (round, api) in [false, true, true, false].into_iter().enumerate() {
        let cpu0 = cpu_ticks();
        let run = if api {
            api_run(200_000 * round as u64).await
        } else {
            raw_run().await
        };
        let name = if api {
            "POST /api/vaccinations (full API)"
        } else {
            "baseline: raw INSERT, 1 per transaction"
        };
        let rate = run.print(name);
        println!(
            "  CPU busy {:.0} % of all cores",
            100.0 * busy_share(cpu0, cpu_ticks())
        );
        let (rates, latencies) = if api {
            (&mut api_rates, &mut api_latencies)
        } else {
            (&mut raw_rates, &mut raw_latencies)
        };
        rates.push(rate);
        latencies.extend(run.latencies);
    }
    if let (Some(writer), Some((batches0, writes0))) = (&state.writer, writes_before) {
        let (batches, writes) = writer.counts();
        let (batches, writes) = (batches - batches0, writes - writes0);
        println!(
            "group commit: {writes} writes (vaccinations and session touches) in {batches} batches, {:.1} a batch",
            writes as f64 / batches.max(1) as f64
        );
    }
    let mean = |r: &[f64]| r.iter().sum::<f64>() / r.len() as f64;
    api_latencies.sort();
    raw_latencies.sort();
    println!(
        "ratio full API ÷ raw insert (means of two runs each): throughput {:.2}×, p50 latency {:.1}×",
        mean(&api_rates) / mean(&raw_rates),
        ms(percentile(&api_latencies, 0.5)) / ms(percentile(&raw_latencies, 0.5)).max(1e-9)
    );

    // What a hall feels: writes offered at a fixed rate (open loop), latency from the moment
    // each was due, so a slow answer cannot hide the ones queued behind it.
    let rate: u64 = env_or("BENCH_RATE", 200);
    let open = {
        let (c, url) = (c.clone(), url.clone());
        open_loop(rate, seconds, move |i| {
            let (c, url) = (c.clone(), url.clone());
            let body = api_patient(900_000 + i, structure_id, lot.id);
            async move { post_retrying(&c, &url, &body).await }
        })
        .await
    };
    open.print(&format!("open loop, {rate} writes/s offered"));
    raw_db.execute_unprepared("DROP TABLE bench_raw").await?;
    raw_db.close().await?;

    println!("== Patient lookup by NIR: 1 client, {samples} lookups of seeded patients per size");
    let product = vaccine_product::Entity::find()
        .filter(vaccine_product::Column::Code.eq("comirnaty"))
        .one(&state.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("catalogue"))?;
    let ids = Ids {
        structure: structure_id,
        lot: lot.id,
        product: product.id,
        professional: professional::Entity::find()
            .filter(professional::Column::Rpps.eq(demo::JEAN_MARTIN_RPPS))
            .one(&state.db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo professional"))?
            .id,
    };
    let mut measured = Vec::new();
    let mut patients = 0;
    for size in [small, large] {
        let t = Instant::now();
        patients = seed(&state.db, &state.nir_fingerprint, &ids, patients, size).await?;
        let total = injection::Entity::find().count(&state.db).await?;
        println!(
            "seeded to {total} injections ({patients} seeded patients) in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        // Warm-up, then the samples.
        lookups(&c, &base, patients, 50).await?;
        let l = lookups(&c, &base, patients, samples).await?;
        println!(
            "{:<46} p50 {:>7.2} ms  p99 {:>7.2} ms",
            format!("POST /api/patients/lookup, {total} injections"),
            ms(percentile(&l, 0.5)),
            ms(percentile(&l, 0.99))
        );
        measured.push((total, l));
    }
    let (s, l) = (&measured[0], &measured[1]);
    println!(
        "ratio lookup at {} ÷ at {} injections: p99 {:.2}×, p50 {:.2}×",
        l.0,
        s.0,
        ms(percentile(&l.1, 0.99)) / ms(percentile(&s.1, 0.99)),
        ms(percentile(&l.1, 0.5)) / ms(percentile(&s.1, 0.5))
    );
    let size = std::fs::metadata(dir.path().join("bench.db"))?.len();
    println!("database file: {} MiB", size / (1024 * 1024));
    Ok(())
}
