//! Benchmark (not a test): syncing a queue of 50 entries made offline, against the same 50
//! vaccinations saved online one by one, in the same run, on the same server and database
//! (SQLite, the app's own settings). Each round alternates the order (online then sync, sync
//! then online) so that neither side always runs on a warmer database; both sides record new
//! patients through the whole write (session, rules, lot stock, audit, idempotency).
//!
//!     cargo run --release -p vigie-backend --example offline_sync_bench
//!
//! Environment: `BENCH_ROUNDS` (default 6), `BENCH_ENTRIES` (default 50, at most 50: one sync
//! request carries at most 50 entries).

#[path = "common/sign_in.rs"]
mod sign_in;

use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;
use vigie_backend::{Application, Settings, demo};
use vigie_shared::api::{
    offline::{OfflinePermit, SyncOutcome, SyncReport},
    vaccination::{LotView, VaccinationContext},
};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A valid NIR for the n-th patient (women born in August 1955).
fn nir(n: usize) -> String {
    let body = format!("2550814{:03}{:03}", 1 + (n / 999) % 999, 1 + n % 999);
    let number: u64 = body.parse().expect("digits");
    format!("{body}{:02}", 97 - number % 97)
}

fn vaccination(structure: Uuid, lot: Uuid, n: usize) -> Value {
    json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": structure,
        "patient": {
            "kind": "new", "nir": nir(n), "family_name": "Martin", "given_names": "Léa",
            "birth_date": "1955-08-20", "sex": "female", "residence_department": "77",
            "esms_finess": null
        },
        "consultation": { "eligible": true, "contraindications": "", "consent": true, "outcome": "vaccinate", "postpone_reason": null },
        "injection": { "product_code": "comirnaty", "lot_id": lot, "site": "left_deltoid", "administered_at": null, "confirmed_warnings": [] }
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = env_or("BENCH_ROUNDS", 6);
    let entries: usize = env_or::<usize>("BENCH_ENTRIES", 50).min(50);
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        listen: "127.0.0.1:0".parse()?,
        public_url: Url::parse("http://localhost:0")?,
        database_url: SecretString::from(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )),
        dist_dir: dir.path().join("none"),
        vault: vigie_backend::vault::VaultSettings {
            keys_file: dir.path().join("vigie.keys"),
            keys: None,
        },
        log: "off".into(),
        // One permit for every round's queue.
        offline_permit_entries: 1000,
        ..Settings::default()
    };
    vigie_backend::telemetry::init("off");
    let app = Application::build(settings).await?;
    let base = Url::parse(&format!("http://127.0.0.1:{}", app.port()))?;
    let state = app.state.clone();
    demo::load(&state.db).await?;
    tokio::spawn(app.run_until_stopped());

    let c = sign_in::sign_in(&state, &base).await?;
    let context: VaccinationContext = c
        .get(base.join("/api/vaccination/context")?)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let structure = context.structures[0].id;
    let lot: LotView = c
        .post(base.join(&format!("/api/structures/{structure}/lots"))?)
        .json(&json!({ "product_code": "comirnaty", "number": "SYNC1", "expires_on": chrono::Utc::now().date_naive() + chrono::Duration::days(700), "doses_received": 100000 }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let device = Uuid::new_v4();
    let permit: OfflinePermit = c
        .post(base.join("/api/offline/permits")?)
        .json(&json!({ "device_id": device, "device_name": "Banc d'essai" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;

    let mut patient = 0usize;
    let mut online_times = Vec::new();
    let mut sync_times = Vec::new();
    let (mut online_requests, mut sync_requests) = (0usize, 0usize);
    for round in 0..rounds {
        for side in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            if side == 0 {
                // Online: one request per vaccination, each acknowledged before the next.
                let bodies: Vec<Value> = (0..entries)
                    .map(|_| {
                        patient += 1;
                        vaccination(structure, lot.id, patient)
                    })
                    .collect();
                let t = Instant::now();
                for body in &bodies {
                    c.post(base.join("/api/vaccinations")?)
                        .json(body)
                        .send()
                        .await?
                        .error_for_status()?;
                    online_requests += 1;
                }
                online_times.push(t.elapsed());
            } else {
                // Offline: the queue made while offline, sent in one request back online.
                let now = chrono::Utc::now();
                let queue: Vec<Value> = (0..entries)
                    .map(|i| {
                        patient += 1;
                        json!({
                            "permit": permit.token,
                            "device_id": device,
                            "device_time": now - chrono::Duration::seconds((entries - i) as i64),
                            "expected_dose_number": 1,
                            "vaccination": vaccination(structure, lot.id, patient),
                        })
                    })
                    .collect();
                let t = Instant::now();
                let report: SyncReport = c
                    .post(base.join("/api/offline/sync")?)
                    .json(&json!({ "entries": queue }))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                sync_requests += 1;
                sync_times.push(t.elapsed());
                anyhow::ensure!(
                    report
                        .results
                        .iter()
                        .all(|r| r.outcome == SyncOutcome::Recorded),
                    "every entry recorded"
                );
            }
        }
    }
    let mean = |v: &[Duration]| v.iter().sum::<Duration>() / v.len() as u32;
    let (online, sync) = (mean(&online_times), mean(&sync_times));
    println!("== {entries} vaccinations, {rounds} rounds (order alternated), SQLite, one client");
    println!(
        "online, one save per request : {:>8.1} ms per {entries} ({} requests per round)",
        online.as_secs_f64() * 1e3,
        online_requests / rounds
    );
    println!(
        "offline queue, one sync      : {:>8.1} ms per {entries} ({} request per round)",
        sync.as_secs_f64() * 1e3,
        sync_requests / rounds
    );
    println!(
        "sync / online time ratio     : {:.2}×",
        sync.as_secs_f64() / online.as_secs_f64()
    );
    println!(
        "per entry                    : online {:.2} ms, sync {:.2} ms",
        online.as_secs_f64() * 1e3 / entries as f64,
        sync.as_secs_f64() * 1e3 / entries as f64
    );
    Ok(())
}
