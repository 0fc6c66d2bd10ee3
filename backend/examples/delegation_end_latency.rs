//! Benchmark (not a test): "the doctor ends a delegated session, the tablet shows it within
//! 1 second". With N delegated sessions open (default 200), each tablet following its session
//! stream, measures p50/p99 from the doctor's "Terminer la session" request to that tablet's
//! stream receiving `session_ended`, and checks the tablet's next request is refused. With a
//! PostgreSQL `DATABASE_URL`, two instances run on it: the doctor talks to one, the tablets
//! to the other (live events across instances). Baselines measured in the same run: loopback
//! TCP round trip, and a `GET /api/health` round trip.
//!
//!     cargo run --release -p vigie-backend --example delegation_end_latency [-- SESSIONS]

use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use secrecy::SecretString;
use url::Url;
use vigie_backend::{
    Application, Settings,
    auth::session::{self, Owner},
    demo,
    entities::{professional, session as session_row, staff_member},
};
use vigie_shared::api::session::SessionStage;

#[path = "common/latency.rs"]
mod latency;
use latency::{loopback_rtt, percentile, report, wait_for};

/// A client with this session's cookie, as a page of `base` (the server refuses changes from
/// anywhere else).
fn with_cookie(token: &str, base: &Url) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        base.origin().ascii_serialization().parse().expect("origin"),
    );
    headers.insert(
        reqwest::header::COOKIE,
        // The plain name: the benchmark serves plain HTTP on localhost.
        format!("vigie_session={token}").parse().expect("cookie"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

async fn instance(
    url: &str,
    dir: &std::path::Path,
) -> anyhow::Result<(Url, vigie_backend::state::AppState)> {
    let mut settings = Settings::default();
    settings.listen = "127.0.0.1:0".parse()?;
    settings.public_url = Url::parse("http://localhost:0")?;
    settings.database_url = SecretString::from(url.to_owned());
    settings.dist_dir = dir.join("none");
    settings.vault.keys_file = dir.join("vigie.keys");
    settings.log = "error".into();
    // Every tablet of the benchmark connects from loopback.
    settings.streams_per_address = usize::MAX;
    let app = Application::build(settings).await?;
    let base = app.public_url().clone();
    let state = app.state.clone();
    tokio::spawn(app.run_until_stopped());
    Ok((base, state))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sessions: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    vigie_backend::telemetry::init("error");
    let dir = tempfile::tempdir()?;
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let postgres = url.starts_with("postgres");
    let (doctor_base, state) = instance(&url, dir.path()).await?;
    // Tablets on a second instance when the database allows several.
    let tablet_base = if postgres {
        instance(&url, dir.path()).await?.0
    } else {
        doctor_base.clone()
    };
    demo::load(&state.db).await?;
    let jean = professional::Entity::find()
        .filter(professional::Column::Rpps.eq(demo::JEAN_MARTIN_RPPS))
        .one(&state.db)
        .await?
        .expect("demo doctor");
    let marie = staff_member::Entity::find()
        .filter(staff_member::Column::CpeNumber.eq(demo::DEMO_STAFF_CPE))
        .one(&state.db)
        .await?
        .expect("demo staff");
    let now = state.now();
    let doctor = session::open(
        &state.db,
        &state.settings,
        now,
        jean.id,
        "passkey",
        Default::default(),
    )
    .await?;
    let doctor = with_cookie(&doctor.token, &doctor_base);

    println!(
        "== {sessions} delegated sessions of Marie Dupont under Dr Jean Martin ({})",
        if postgres {
            "PostgreSQL, doctor and tablets on two instances"
        } else {
            "SQLite, one instance"
        }
    );
    let mut tablets = Vec::with_capacity(sessions);
    for _ in 0..sessions {
        let opened = session::open_for(
            &state.db,
            &state.settings,
            now,
            Owner::Staff {
                staff_member_id: marie.id,
                structure_id: marie.structure_id,
            },
            SessionStage::Active,
            "passkey",
            Default::default(),
        )
        .await?;
        // Approved under Jean, as the claim of an approved request leaves it.
        session_row::Entity::update_many()
            .col_expr(session_row::Column::ProfessionalId, Expr::value(jean.id))
            .filter(session_row::Column::Id.eq(opened.session.id))
            .exec(&state.db)
            .await?;
        let client = with_cookie(&opened.token, &tablet_base);
        let stream = client
            .get(tablet_base.join("/api/session/events")?)
            .send()
            .await?;
        anyhow::ensure!(
            stream.status().is_success(),
            "stream refused: {}",
            stream.status()
        );
        tablets.push((opened.session.id, client, stream));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let rtt = {
        let mut v = loopback_rtt(2000).await;
        v.sort();
        v
    };
    let baseline = percentile(&rtt, 0.5);
    let health = {
        let c = reqwest::Client::new();
        let mut v = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            c.get(tablet_base.join("/api/health")?)
                .send()
                .await?
                .bytes()
                .await?;
            v.push(t.elapsed());
        }
        v
    };
    let mut to_tablet = Vec::with_capacity(sessions);
    let mut refused = 0;
    for (id, client, stream) in tablets.iter_mut() {
        let t = Instant::now();
        let r = doctor
            .post(doctor_base.join(&format!("/api/supervision/sessions/{id}/end"))?)
            .send()
            .await?;
        anyhow::ensure!(r.status().as_u16() == 204, "end refused: {}", r.status());
        tokio::time::timeout(Duration::from_secs(5), wait_for(stream, "session_ended")).await?;
        to_tablet.push(t.elapsed());
        let next = client
            .get(tablet_base.join("/api/vaccination/context")?)
            .send()
            .await?;
        if next.status().as_u16() == 401 {
            refused += 1;
        }
    }
    println!(
        "loopback TCP round trip (baseline)            p50 {:>8.3} ms  p99 {:>8.3} ms",
        baseline.as_secs_f64() * 1e3,
        percentile(&rtt, 0.99).as_secs_f64() * 1e3
    );
    report("GET /api/health round trip", health, baseline);
    let mut sorted = to_tablet.clone();
    sorted.sort();
    let worst = *sorted.last().expect("samples");
    report("doctor ends → tablet stream hears it", to_tablet, baseline);
    println!(
        "worst {:.1} ms (target 1000 ms); next request from the tablet refused: {refused}/{sessions}",
        worst.as_secs_f64() * 1e3
    );
    Ok(())
}
