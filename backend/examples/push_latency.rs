//! Benchmark (not a test): with N approver event streams connected (default 1000), measures
//! p50/p99 from the terminal's sign-in request to the phone receiving it, and from the phone's
//! approval (real WebAuthn, SoftPasskey) to the terminal's stream receiving it; prints the
//! loopback TCP round trip measured in the same run as the baseline.
//!
//!     cargo run --release -p vigie-backend --example push_latency [-- STREAMS SAMPLES]

use std::time::{Duration, Instant};

use sea_orm::{ActiveValue::Set, EntityTrait};
use secrecy::SecretString;
use serde_json::json;
use url::Url;
use uuid::Uuid;
use vigie_backend::{Application, Settings, approvals, auth, entities::professional};
use vigie_shared::{
    Rpps,
    api::{
        approval::{ApprovalChallenge, ApprovalConfirm, ApprovalCreated},
        passkey::{RegistrationChallenge, RegistrationFinish},
    },
};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};

#[path = "common/latency.rs"]
mod latency;
use latency::{loopback_rtt, percentile, report, wait_for};

fn rpps(i: usize) -> Rpps {
    let body = format!("{:010}", 2_000_000_000usize + i);
    (0..10)
        .find_map(|k| Rpps::parse(&format!("{body}{k}")).ok())
        .expect("one key fits")
}

/// A client as a page of `base` (the server refuses changes from anywhere else).
fn client(base: &Url) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        base.origin().ascii_serialization().parse().expect("origin"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .cookie_store(true)
        .pool_max_idle_per_host(4)
        .build()
        .expect("client")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let streams = args.first().copied().unwrap_or(1000);
    let samples = args.get(1).copied().unwrap_or(100).min(streams);
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::default();
    settings.listen = "127.0.0.1:0".parse()?;
    settings.public_url = Url::parse("http://localhost:0")?;
    settings.database_url =
        SecretString::from(std::env::var("DATABASE_URL").unwrap_or_else(|_| {
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            )
        }));
    settings.dist_dir = dir.path().join("none");
    settings.vault.keys_file = dir.path().join("vigie.keys");
    settings.log = "error".into();
    settings.push_requests_per_ip_per_10_min = u64::MAX / 2;
    // Every phone and terminal of the benchmark connects from loopback.
    settings.streams_per_address = usize::MAX;
    vigie_backend::telemetry::init("error");
    let app = Application::build(settings).await?;
    let base = app.public_url().clone();
    let state = app.state.clone();
    tokio::spawn(app.run_until_stopped());

    println!("== Setting up {streams} professionals with an activated phone each");
    let now = state.now();
    let mut phones = Vec::with_capacity(streams);
    for i in 0..streams {
        let r = rpps(i);
        let id = Uuid::new_v4();
        professional::Entity::insert(professional::ActiveModel {
            id: Set(id),
            national_id: Set(r.national_id().as_str().into()),
            rpps: Set(r.as_str().into()),
            civility: Set("Dr".into()),
            first_name: Set("Banc".into()),
            last_name: Set(format!("D'essai {i}")),
            profession: Set("Médecin".into()),
            email: Set(None),
            mobile: Set(None),
            created_at: Set(now),
        })
        .exec(&state.db)
        .await?;
        phones.push((id, r));
    }
    // The measured professionals get a real passkey (for the approval); the others a device row.
    let mut keys = Vec::new();
    let mut phone_clients = Vec::new();
    for (i, (id, _)) in phones.iter().enumerate() {
        let c = client(&base);
        if i < samples {
            let mut key = SoftPasskey::new(true);
            let token =
                auth::enrolment::issue(&state.db, state.now(), *id, auth::enrolment::LIFETIME)
                    .await?
                    .token;
            let ch: RegistrationChallenge = c
                .post(base.join("/api/passkeys/registration/start")?)
                .json(&json!({ "enrolment_token": token }))
                .send()
                .await?
                .json()
                .await?;
            let credential = key
                .do_registration(base.clone(), ch.options)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let fin = RegistrationFinish {
                ceremony_id: ch.ceremony_id,
                credential,
                label: None,
            };
            c.post(base.join("/api/passkeys/registration/finish")?)
                .json(&fin)
                .send()
                .await?
                .error_for_status()?;
            keys.push(key);
        } else {
            // The device row as activation creates it; its cookie is sent by hand below.
            let token = approvals::approver::create(&state.db, state.now(), *id, "banc").await?;
            phone_clients.push((c, Some(token)));
            continue;
        }
        phone_clients.push((c, None));
    }
    println!("== Connecting {streams} approver event streams");
    let mut streams_open = Vec::with_capacity(streams);
    for (c, token) in &phone_clients {
        let mut req = c.get(base.join("/api/approver/events")?);
        if let Some(t) = token {
            req = req.header("cookie", format!("vigie_approver={t}"));
        }
        let r = req.send().await?;
        anyhow::ensure!(r.status().is_success(), "stream refused: {}", r.status());
        streams_open.push(r);
    }

    let rtt = loopback_rtt(2000).await;
    let mut sorted = rtt.clone();
    sorted.sort();
    let baseline = percentile(&sorted, 0.5);
    println!(
        "loopback TCP round trip (baseline)           n=2000  p50 {:>8.3} ms  p99 {:>8.3} ms",
        baseline.as_secs_f64() * 1e3,
        percentile(&sorted, 0.99).as_secs_f64() * 1e3
    );

    let mut to_phone = Vec::with_capacity(samples);
    let mut to_terminal = Vec::with_capacity(samples);
    for i in 0..samples {
        let terminal = client(&base);
        let t0 = Instant::now();
        let created: ApprovalCreated = terminal
            .post(base.join("/api/approvals")?)
            .json(&json!({ "national_id": phones[i].1.national_id(), "terminal_label": "Banc" }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        tokio::time::timeout(
            Duration::from_secs(5),
            wait_for(&mut streams_open[i], &created.approval_id.to_string()),
        )
        .await?;
        to_phone.push(t0.elapsed());

        let mut follow = terminal
            .get(base.join(&format!("/api/approvals/{}/events", created.approval_id))?)
            .send()
            .await?;
        wait_for(&mut follow, "pending").await;
        let phone = &phone_clients[i].0;
        let ch: ApprovalChallenge = phone
            .post(base.join(&format!(
                "/api/approver/requests/{}/code",
                created.approval_id
            ))?)
            .json(&json!({ "code": created.code }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let credential = keys[i]
            .do_authentication(base.clone(), ch.options)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let confirm = ApprovalConfirm {
            ceremony_id: ch.ceremony_id,
            credential,
        };
        let t1 = Instant::now();
        phone
            .post(base.join(&format!(
                "/api/approver/requests/{}/approve",
                created.approval_id
            ))?)
            .json(&confirm)
            .send()
            .await?
            .error_for_status()?;
        tokio::time::timeout(Duration::from_secs(5), wait_for(&mut follow, "approved")).await?;
        to_terminal.push(t1.elapsed());
    }
    println!("== {streams} streams connected, {samples} sign-ins");
    report("terminal request → phone stream", to_phone, baseline);
    report(
        "phone approval sent → terminal stream",
        to_terminal,
        baseline,
    );
    Ok(())
}
