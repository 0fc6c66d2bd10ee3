//! Benchmark (not a test) of the open-data statistics, on SQLite with the app's own connection
//! settings (`vigie_backend::db::connect`: WAL, synchronous=FULL):
//!
//! 1. Time to build a statistics file (national JSON, national CSV, one department's CSV), p50
//!    and p99 over `BENCH_REQUESTS` (default 30) builds, with 10 k then with LARGE (default
//!    1 M) injections, seeded directly in bulk over 365 days and every department (patients,
//!    injections, and their aggregates). Prints the large/small ratios: the cost follows the
//!    rows of the file (days × classes), not the injections.
//! 2. The extra cost per recorded injection of keeping the aggregates up to date, with the
//!    LARGE database: `BENCH_WRITES` (default 2000) transactions that insert one injection
//!    alone, then as many that insert one injection and update its aggregates (what
//!    `vaccination::service::record` does), alternating; prints both means, the time of the
//!    aggregate update itself, and the ratios.
//!
//!     cargo run --release -p vigie-backend --example statistics_bench [-- LARGE]

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use chrono::{NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait,
};
use uuid::Uuid;
use vigie_backend::{
    demo,
    entities::{injection, patient, professional, vaccine_lot},
    statistics::{self, Cell, publish},
};
use vigie_shared::{
    Sex,
    api::vaccination::{InjectionSite, InjectionStatus},
};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Fixture {
    lot: vaccine_lot::Model,
    professional: Uuid,
    structure: Uuid,
    departments: Vec<String>,
}

/// A cheap deterministic mix (splitmix64).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The k-th seeded patient and injection: residence and age spread over every department and
/// class, days over 2021, first doses, completions and boosters in turn.
fn seeded(k: u64, f: &Fixture) -> (patient::ActiveModel, injection::ActiveModel, patient::Model) {
    let r = mix(k);
    let birth = NaiveDate::from_ymd_opt(
        1925 + (r % 95) as i32,
        1 + (r >> 8) as u32 % 12,
        1 + (r >> 16) as u32 % 28,
    )
    .expect("date");
    let department = f.departments[(r >> 24) as usize % f.departments.len()].clone();
    let at = Utc
        .with_ymd_and_hms(2021, 1, 1, 8, 0, 0)
        .single()
        .expect("date")
        + chrono::Duration::minutes(((r >> 32) % (365 * 24 * 60)) as i64);
    let id = Uuid::from_u64_pair(0xBE7C, k);
    let now = Utc::now();
    let p = patient::Model {
        id,
        nir_key: format!("B{k:014}"),
        nir_masked: "B *** **".into(),
        family_name: "BANC".into(),
        given_names: "Essai".into(),
        birth_date: birth,
        sex: Sex::Female,
        residence_department: department,
        esms_finess: None,
        created_at: now,
        updated_at: now,
    };
    let (dose, booster) = match k % 3 {
        0 => (1, false),
        1 => (2, false),
        _ => (3, true),
    };
    let i = injection::ActiveModel {
        id: Set(Uuid::from_u64_pair(0x1A1E, k)),
        patient_id: Set(id),
        consultation_id: Set(None),
        structure_id: Set(f.structure),
        product_id: Set(f.lot.product_id),
        lot_id: Set(f.lot.id),
        dose_number: Set(dose),
        series_doses: Set(2),
        booster: Set(booster),
        site: Set(InjectionSite::LeftDeltoid),
        administered_at: Set(at),
        professional_id: Set(f.professional),
        staff_member_id: Set(None),
        session_id: Set(Uuid::nil()),
        terminal_id: Set(None),
        esms_finess: Set(None),
        status: Set(InjectionStatus::Valid),
        version: Set(1),
        confirmed_warnings: Set("[]".into()),
        created_at: Set(now),
        updated_at: Set(now),
        contested_at: Set(None),
        contest_reason: Set(None),
        contested_by: Set(None),
        place_kind: Set(None),
        place_address: Set(None),
    };
    let pm = patient::ActiveModel {
        id: Set(p.id),
        nir_key: Set(p.nir_key.clone()),
        nir_masked: Set(p.nir_masked.clone()),
        family_name: Set(p.family_name.clone()),
        given_names: Set(p.given_names.clone()),
        birth_date: Set(p.birth_date),
        sex: Set(p.sex.clone()),
        residence_department: Set(p.residence_department.clone()),
        esms_finess: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    (pm, i, p)
}

/// Seeds injections `from..to` and adds them to `cells`; then rewrites the aggregate tables.
async fn seed(
    db: &DatabaseConnection,
    f: &Fixture,
    from: u64,
    to: u64,
    cells: &mut BTreeMap<Cell, [i64; 3]>,
) -> anyhow::Result<()> {
    let batch = 20_000;
    let mut k = from;
    while k < to {
        let end = (k + batch).min(to);
        let txn = db.begin().await?;
        let mut ps = Vec::new();
        let mut is = Vec::new();
        for j in k..end {
            let (pm, im, p) = seeded(j, f);
            let (dose, booster) = match j % 3 {
                0 => (1, false),
                1 => (2, false),
                _ => (3, true),
            };
            let model = injection::Model {
                id: Uuid::nil(),
                patient_id: p.id,
                consultation_id: None,
                structure_id: f.structure,
                product_id: f.lot.product_id,
                lot_id: f.lot.id,
                dose_number: dose,
                series_doses: 2,
                booster,
                site: InjectionSite::LeftDeltoid,
                administered_at: im.administered_at.clone().unwrap(),
                professional_id: f.professional,
                staff_member_id: None,
                session_id: Uuid::nil(),
                terminal_id: None,
                esms_finess: None,
                status: InjectionStatus::Valid,
                version: 1,
                confirmed_warnings: String::new(),
                created_at: Utc::now(),
                updated_at: Utc::now(),
                contested_at: None,
                contest_reason: None,
                contested_by: None,
                place_kind: None,
                place_address: None,
            };
            if let Some((cell, n)) =
                statistics::cell_of(p.birth_date, &p.residence_department, &model)
            {
                let e = cells.entry(cell).or_default();
                for (e, n) in e.iter_mut().zip(n) {
                    *e += n;
                }
            }
            ps.push(pm);
            is.push(im);
        }
        for chunk in ps.chunks(2000) {
            patient::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for chunk in is.chunks(1500) {
            injection::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        k = end;
    }
    let txn = db.begin().await?;
    txn.execute_unprepared("DELETE FROM statistic_detail")
        .await?;
    txn.execute_unprepared("DELETE FROM statistic_daily")
        .await?;
    statistics::store(&txn, cells).await?;
    txn.commit().await?;
    Ok(())
}

/// p50 and p99 of building each file.
async fn requests(
    db: &DatabaseConnection,
    n: usize,
) -> anyhow::Result<[(Duration, Duration, usize); 3]> {
    let mut out = [(Duration::ZERO, Duration::ZERO, 0); 3];
    for (which, slot) in out.iter_mut().enumerate() {
        let mut times = Vec::with_capacity(n);
        let mut size = 0;
        for _ in 0..n {
            let t = Instant::now();
            size = match which {
                0 => serde_json::to_vec(&statistics::national(db, None).await?)?.len(),
                1 => publish::csv(
                    publish::Level::National,
                    &statistics::national(db, None).await?,
                )
                .len(),
                _ => publish::csv(
                    publish::Level::Department,
                    &statistics::departments(db, Some("75"), None).await?,
                )
                .len(),
            };
            times.push(t.elapsed());
        }
        times.sort();
        *slot = (percentile(&times, 0.5), percentile(&times, 0.99), size);
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let large: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or_else(|| env_or("BENCH_INJECTIONS", 1_000_000));
    let small: u64 = 10_000.min(large);
    let n_requests: usize = env_or("BENCH_REQUESTS", 30);
    let n_writes: u64 = env_or("BENCH_WRITES", 2000);
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let db = vigie_backend::db::connect(&url).await?;
    demo::load(&db).await?;
    let f = Fixture {
        lot: vaccine_lot::Entity::find()
            .one(&db)
            .await?
            .expect("a demo lot"),
        professional: professional::Entity::find()
            .one(&db)
            .await?
            .expect("a demo professional")
            .id,
        structure: vaccine_lot::Entity::find()
            .one(&db)
            .await?
            .expect("lot")
            .structure_id,
        departments: statistics::population::departments()
            .map(str::to_owned)
            .collect(),
    };
    let mut cells = BTreeMap::new();
    let labels = ["national JSON", "national CSV", "department 75 CSV"];

    let t = Instant::now();
    seed(&db, &f, 0, small, &mut cells).await?;
    println!(
        "seeded {small} injections in {:.1} s ({} detail cells)",
        t.elapsed().as_secs_f64(),
        cells.len()
    );
    let at_small = requests(&db, n_requests).await?;
    for (l, (p50, p99, size)) in labels.iter().zip(&at_small) {
        println!(
            "  {l:<18} p50 {:8.2} ms  p99 {:8.2} ms  ({size} bytes)",
            ms(*p50),
            ms(*p99)
        );
    }

    let t = Instant::now();
    seed(&db, &f, small, large, &mut cells).await?;
    println!(
        "seeded up to {large} injections in {:.1} s ({} detail cells)",
        t.elapsed().as_secs_f64(),
        cells.len()
    );
    let at_large = requests(&db, n_requests).await?;
    for (l, (p50, p99, size)) in labels.iter().zip(&at_large) {
        println!(
            "  {l:<18} p50 {:8.2} ms  p99 {:8.2} ms  ({size} bytes)",
            ms(*p50),
            ms(*p99)
        );
    }
    for (l, (s, b)) in labels.iter().zip(at_small.iter().zip(&at_large)) {
        println!(
            "  ratio {large}/{small} injections, {l}: p50 ×{:.2}, p99 ×{:.2}",
            b.0.as_secs_f64() / s.0.as_secs_f64(),
            b.1.as_secs_f64() / s.1.as_secs_f64()
        );
    }

    // 2. Extra cost per recorded injection, alternating plain and counted writes.
    let mut plain = Duration::ZERO;
    let mut counted = Duration::ZERO;
    let mut update = Duration::ZERO;
    let first_patient = large + 10;
    // Patients of the written injections exist beforehand (the patient insert is not measured).
    let txn = db.begin().await?;
    let mut patients = Vec::new();
    for j in 0..2 * n_writes {
        let (pm, _, p) = seeded(first_patient + j, &f);
        patient::Entity::insert(pm)
            .exec_without_returning(&txn)
            .await?;
        patients.push(p);
    }
    txn.commit().await?;
    for j in 0..2 * n_writes {
        let (_, mut im, p) = seeded(first_patient + j, &f);
        im.id = Set(Uuid::new_v4());
        let with_counts = j % 2 == 1;
        let t = Instant::now();
        let txn = db.begin().await?;
        let row = injection::Entity::insert(im)
            .exec_with_returning(&txn)
            .await?;
        if with_counts {
            let u = Instant::now();
            let mut tally = statistics::Tally::default();
            tally.recorded(&patients[j as usize], &row);
            tally.write(&txn).await?;
            update += u.elapsed();
        }
        txn.commit().await?;
        if with_counts {
            counted += t.elapsed();
        } else {
            plain += t.elapsed();
        }
        let _ = &p;
    }
    let n = n_writes as f64;
    let plain_ms = ms(plain) / n;
    let counted_ms = ms(counted) / n;
    let update_ms = ms(update) / n;
    println!("per recorded injection, {n_writes} of each, with {large} injections recorded:");
    println!("  insert alone (transaction, commit)        {plain_ms:.3} ms");
    println!(
        "  insert + aggregates (same transaction)    {counted_ms:.3} ms  (×{:.2})",
        counted_ms / plain_ms
    );
    println!(
        "  aggregate update itself                   {update_ms:.3} ms  ({:.0} % of the insert alone; +{:.0} % per transaction)",
        100.0 * update_ms / plain_ms,
        100.0 * (counted_ms - plain_ms) / plain_ms
    );
    Ok(())
}
