//! Crash safety: what the server acknowledged survives a SIGKILL.
//!
//! Starts the real `vigie` binary (`serve --demo`) on a fresh SQLite file, signs Dr Jean
//! Martin in with a software passkey, streams vaccination writes (new patients) from a few
//! concurrent clients, and SIGKILLs the process right after the Nth acknowledgement, while
//! other writes are in flight. Then restarts it on the same file and checks that every
//! acknowledged injection is there with its `vaccination.recorded` audit event, that a retry
//! with the same idempotency key returns the same answer and writes nothing, that the writes
//! cut short were all-or-nothing, and that `vigie audit-verify` finds the chain intact.
//!
//! An acknowledgement sent before the commit would be lost by the kill: this test fails then.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};
use tokio::{process::Child, sync::Notify};
use url::Url;
use uuid::Uuid;
use vigie_backend::{
    demo::JEAN_MARTIN_RPPS,
    entities::{audit_event, idempotent_write, injection, patient},
};
use vigie_shared::{
    Rpps,
    api::{
        passkey::{
            AuthenticationChallenge, AuthenticationFinish, RegistrationChallenge,
            RegistrationFinish,
        },
        vaccination::{LotView, VaccinationContext, VaccinationRecorded},
    },
};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};

/// Acknowledgements to collect before the kill.
const ACKS_BEFORE_KILL: usize = 150;
/// Concurrent writers (tablets).
const WRITERS: usize = 4;
/// Retries of one write answered 5xx before the test gives up: none. Concurrent writers queue
/// on the audit chain's lock (`audit::begin_write`), so a 5xx is a bug, not bad luck.
const MAX_RETRIES: u32 = 0;

/// A valid NIR for someone born in `birth`'s year and month, unique per `serial`:
/// key = 97 − (first 13 digits mod 97).
fn nir(serial: u32, female: bool, birth: NaiveDate) -> String {
    use chrono::Datelike;
    let body = format!(
        "{}{:02}{:02}77{:06}",
        if female { 2 } else { 1 },
        birth.year() % 100,
        birth.month(),
        serial
    );
    let n: u64 = body.parse().expect("digits");
    format!("{body}{:02}", 97 - n % 97)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One run of the real binary.
struct Server {
    child: Child,
    /// Where requests go (IPv4 loopback, as the server listens).
    base: Url,
    /// The WebAuthn origin (`VIGIE_PUBLIC_URL`).
    origin: Url,
}

struct Files {
    _dir: tempfile::TempDir,
    root: PathBuf,
    db_url: String,
}

impl Files {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_owned();
        std::fs::create_dir(root.join("dist")).expect("empty dist");
        let db_url = format!("sqlite://{}?mode=rwc", root.join("vigie.db").display());
        Self {
            _dir: dir,
            root,
            db_url,
        }
    }

    fn log(&self, run: &str) -> PathBuf {
        self.root.join(format!("{run}.log"))
    }

    /// The binary with this test's configuration, whatever the caller's environment says.
    fn command(&self, log: &Path) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_vigie"));
        c.current_dir(&self.root)
            .env_remove("DATABASE_URL")
            .env_remove("VIGIE_CONFIG")
            .env("VIGIE_DATABASE_URL", &self.db_url)
            .env("VIGIE_DIST_DIR", self.root.join("dist"))
            .env("VIGIE_TESTING", "true")
            .env("VIGIE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log)
                    .expect("log file"),
            ))
            .kill_on_drop(true);
        c
    }

    async fn start(&self, run: &str) -> Server {
        let port = free_port();
        let mut child = self
            .command(&self.log(run))
            .args(["serve", "--demo"])
            .env("VIGIE_LISTEN", format!("127.0.0.1:{port}"))
            .env("VIGIE_PUBLIC_URL", format!("http://localhost:{port}"))
            .spawn()
            .expect("vigie starts");
        let base = Url::parse(&format!("http://127.0.0.1:{port}")).expect("url");
        let origin = Url::parse(&format!("http://localhost:{port}")).expect("url");
        let probe = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("child status") {
                panic!(
                    "vigie exited during start-up ({status}):\n{}",
                    self.stderr(run)
                );
            }
            let up = probe
                .get(base.join("/api/health").expect("url"))
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "vigie not healthy after 20 s:\n{}",
                self.stderr(run)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Server {
            child,
            base,
            origin,
        }
    }

    fn stderr(&self, run: &str) -> String {
        std::fs::read_to_string(self.log(run)).unwrap_or_default()
    }

    async fn db(&self) -> DatabaseConnection {
        Database::connect(&self.db_url).await.expect("database")
    }
}

/// A client as the SPA of `origin`: the server refuses changes without its `Origin`.
fn client(origin: &Url) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        origin
            .origin()
            .ascii_serialization()
            .parse()
            .expect("origin"),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .timeout(Duration::from_secs(15))
        .build()
        .expect("client")
}

impl Server {
    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("path")
    }

    async fn post_ok<T: serde::de::DeserializeOwned>(
        &self,
        c: &reqwest::Client,
        path: &str,
        body: &impl serde::Serialize,
    ) -> T {
        let r = c
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request");
        let status = r.status();
        let text = r.text().await.expect("body");
        assert!(status.is_success(), "POST {path}: {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST {path}: {e}: {text}"))
    }

    /// Creates Dr Martin's passkey from an enrolment link (`/api/testing/enrolment`).
    async fn register(&self, c: &reqwest::Client, key: &mut SoftPasskey) {
        let national_id = Rpps::parse(JEAN_MARTIN_RPPS).expect("rpps").national_id();
        let link: Value = self
            .post_ok(
                c,
                "/api/testing/enrolment",
                &json!({ "national_id": national_id }),
            )
            .await;
        let link = Url::parse(link["link"].as_str().expect("link")).expect("link is a URL");
        let token = link
            .fragment()
            .and_then(|f| f.strip_prefix("jeton="))
            .expect("token in the fragment");
        let challenge: RegistrationChallenge = self
            .post_ok(
                c,
                "/api/passkeys/registration/start",
                &json!({ "enrolment_token": token }),
            )
            .await;
        let credential = key
            .do_registration(self.origin.clone(), challenge.options)
            .expect("soft passkey registers");
        let _: Value = self
            .post_ok(
                c,
                "/api/passkeys/registration/finish",
                &RegistrationFinish {
                    ceremony_id: challenge.ceremony_id,
                    credential,
                    label: Some("Tablette".into()),
                },
            )
            .await;
    }

    async fn sign_in(&self, c: &reqwest::Client, key: &mut SoftPasskey) {
        let national_id = Rpps::parse(JEAN_MARTIN_RPPS).expect("rpps").national_id();
        let challenge: AuthenticationChallenge = self
            .post_ok(
                c,
                "/api/passkeys/authentication/start",
                &json!({ "national_id": national_id }),
            )
            .await;
        let credential = key
            .do_authentication(self.origin.clone(), challenge.options)
            .expect("soft passkey signs");
        let _: Value = self
            .post_ok(
                c,
                "/api/passkeys/authentication/finish",
                &AuthenticationFinish {
                    ceremony_id: challenge.ceremony_id,
                    credential,
                },
            )
            .await;
    }
}

/// A first dose for a new patient, with its own idempotency key.
fn first_dose(serial: u32, structure_id: Uuid, lot_id: Uuid) -> Value {
    let female = serial.is_multiple_of(2);
    let birth =
        NaiveDate::from_ymd_opt(1940 + (serial % 60) as i32, 1 + serial % 12, 15).expect("date");
    json!({
        "idempotency_key": Uuid::new_v4(),
        "structure_id": structure_id,
        "patient": {
            "kind": "new",
            "nir": nir(serial, female, birth),
            "family_name": format!("Patient {serial}"),
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

/// A write the server acknowledged: what was sent, and the 200 answer.
struct Acked {
    request: Value,
    answer: Value,
}

#[derive(Default)]
struct Ledger {
    acked: Mutex<Vec<Acked>>,
    /// Sent, but the answer never came (the kill cut it short).
    cut_short: Mutex<Vec<Value>>,
    /// Errors before the kill (other than a 5xx retried): the test fails on them.
    refused: Mutex<Vec<String>>,
    /// 5xx answers retried with the same key.
    retries: AtomicUsize,
    ack_count: AtomicUsize,
    killed: AtomicBool,
    enough: Notify,
}

async fn writer(
    c: reqwest::Client,
    url: Url,
    serials: Arc<AtomicUsize>,
    ledger: Arc<Ledger>,
    structure_id: Uuid,
    lot_id: Uuid,
) {
    let mut refused_in_a_row = 0;
    let mut body = Value::Null;
    while !ledger.killed.load(Ordering::SeqCst) {
        // A new write, unless the last one was refused: then the same again, same key.
        if refused_in_a_row == 0 {
            let serial = serials.fetch_add(1, Ordering::SeqCst) as u32;
            body = first_dose(serial, structure_id, lot_id);
        }
        let answer = async {
            let r = c.post(url.clone()).json(&body).send().await?;
            let status = r.status();
            Ok::<_, reqwest::Error>((status, r.text().await?))
        }
        .await;
        match answer {
            Ok((status, text)) if status == reqwest::StatusCode::OK => {
                refused_in_a_row = 0;
                let answer: Value = serde_json::from_str(&text).expect("a JSON answer");
                serde_json::from_value::<VaccinationRecorded>(answer.clone())
                    .expect("a VaccinationRecorded");
                ledger.acked.lock().expect("lock").push(Acked {
                    request: std::mem::take(&mut body),
                    answer,
                });
                if ledger.ack_count.fetch_add(1, Ordering::SeqCst) + 1 == ACKS_BEFORE_KILL {
                    ledger.enough.notify_one();
                }
            }
            // A 5xx would be retried with the same key, as a tablet does (kept for a change of
            // MAX_RETRIES when investigating; at 0 any 5xx fails the test).
            Ok((status, _)) if status.is_server_error() && refused_in_a_row < MAX_RETRIES => {
                refused_in_a_row += 1;
                ledger.retries.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok((status, text)) => {
                ledger
                    .refused
                    .lock()
                    .expect("lock")
                    .push(format!("{status}: {text}"));
                ledger.enough.notify_one();
                return;
            }
            Err(e) => {
                if !ledger.killed.load(Ordering::SeqCst) {
                    ledger.refused.lock().expect("lock").push(e.to_string());
                    ledger.enough.notify_one();
                }
                ledger.cut_short.lock().expect("lock").push(body);
                return;
            }
        }
    }
    if refused_in_a_row > 0 {
        // Refused, then the kill: its retry after the restart must record it once.
        ledger.cut_short.lock().expect("lock").push(body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_vaccinations_survive_a_kill() {
    let started = Instant::now();
    let files = Files::new();

    // --- First run: sign in, create a lot, stream writes, SIGKILL.
    let mut server = files.start("first").await;
    let c = client(&server.origin);
    let mut key = SoftPasskey::new(true);
    server.register(&c, &mut key).await;
    server.sign_in(&c, &mut key).await;
    let context: VaccinationContext = {
        let r = c
            .get(server.url("/api/vaccination/context"))
            .send()
            .await
            .expect("context");
        assert!(r.status().is_success(), "context: {}", r.status());
        r.json().await.expect("context body")
    };
    let structure_id = context.structures[0].id;
    let lot: LotView = server
        .post_ok(
            &c,
            &format!("/api/structures/{structure_id}/lots"),
            &json!({ "product_code": "comirnaty", "number": "CRASH1", "expires_on": chrono::Utc::now().date_naive() + chrono::Duration::days(730), "doses_received": 100000 }),
        )
        .await;

    let ledger = Arc::new(Ledger::default());
    let serials = Arc::new(AtomicUsize::new(0));
    let enough = ledger.enough.notified();
    tokio::pin!(enough);
    enough.as_mut().enable();
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            tokio::spawn(writer(
                c.clone(),
                server.url("/api/vaccinations"),
                serials.clone(),
                ledger.clone(),
                structure_id,
                lot.id,
            ))
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(30), enough)
        .await
        .expect("150 acknowledgements within 30 s");
    {
        let refused = ledger.refused.lock().expect("lock");
        assert!(
            refused.is_empty(),
            "writes refused before the kill: {refused:#?}\n{}",
            files.stderr("first")
        );
    }
    // No grace period: the kill lands right behind the Nth acknowledgement, so a write
    // acknowledged before its commit would be caught in the window.
    ledger.killed.store(true, Ordering::SeqCst);
    server.child.start_kill().expect("SIGKILL");
    let status = server.child.wait().await.expect("reaped");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "killed by SIGKILL"
    );
    for w in writers {
        w.await.expect("writer task");
    }
    let acked = std::mem::take(&mut *ledger.acked.lock().expect("lock"));
    let cut_short = std::mem::take(&mut *ledger.cut_short.lock().expect("lock"));
    assert!(acked.len() >= ACKS_BEFORE_KILL);
    assert!(
        !cut_short.is_empty(),
        "writes were in flight when the process died"
    );
    eprintln!(
        "killed after {} acknowledged writes, {} in flight, {} 5xx retried, {:.1} s in",
        acked.len(),
        cut_short.len(),
        ledger.retries.load(Ordering::SeqCst),
        started.elapsed().as_secs_f64()
    );

    // --- Second run on the same file: every acknowledged write is there, once.
    let mut server = files.start("second").await;
    let db = files.db().await;
    let ids: Vec<Uuid> = acked
        .iter()
        .map(|a| {
            serde_json::from_value::<VaccinationRecorded>(a.answer.clone())
                .expect("answer")
                .injection
                .expect("an injection")
                .id
        })
        .collect();
    let found: HashSet<Uuid> = injection::Entity::find()
        .filter(injection::Column::Id.is_in(ids.clone()))
        .all(&db)
        .await
        .expect("injections")
        .into_iter()
        .map(|i| i.id)
        .collect();
    let lost: Vec<_> = ids.iter().filter(|id| !found.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged injections lost: {lost:?}",
        lost.len(),
        ids.len()
    );
    let audited: HashSet<String> = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("vaccination.recorded"))
        .all(&db)
        .await
        .expect("audit events")
        .into_iter()
        .filter_map(|e| e.subject)
        .collect();
    let unaudited: Vec<_> = ids
        .iter()
        .filter(|id| !audited.contains(&id.to_string()))
        .collect();
    assert!(
        unaudited.is_empty(),
        "acknowledged injections without their audit event: {unaudited:?}"
    );

    // Signing in again, a retry of an acknowledged write gives the first answer, writes nothing.
    let c = client(&server.origin);
    server.sign_in(&c, &mut key).await;
    let before = injection::Entity::find().count(&db).await.expect("count");
    let retried = &acked[acked.len() - 1];
    let again: Value = server
        .post_ok(&c, "/api/vaccinations", &retried.request)
        .await;
    assert_eq!(again, retried.answer, "same key, same answer");
    assert_eq!(
        injection::Entity::find().count(&db).await.expect("count"),
        before,
        "the retry wrote nothing"
    );
    let patient_id = serde_json::from_value::<VaccinationRecorded>(retried.answer.clone())
        .expect("answer")
        .patient_id;
    assert_eq!(
        injection::Entity::find()
            .filter(injection::Column::PatientId.eq(patient_id))
            .count(&db)
            .await
            .expect("count"),
        1,
        "no duplicate for the retried patient"
    );

    // The writes cut short were all-or-nothing: retried with their keys, each exists once.
    // Patients are found by their NIR's keyed fingerprint, as the server finds them.
    let vault = vigie_backend::vault::load(&vigie_backend::vault::VaultSettings {
        keys_file: files.root.join("vigie.keys"),
        keys: None,
    })
    .expect("the server's vault keys");
    let fingerprint = vigie_backend::vault::Fingerprint::new(
        vigie_backend::vault::server_key(&db, &vault, "nir_fingerprint")
            .await
            .expect("fingerprint key"),
    );
    for body in &cut_short {
        let answer: VaccinationRecorded = server.post_ok(&c, "/api/vaccinations", body).await;
        let nir = body["patient"]["nir"].as_str().expect("nir");
        let p = patient::Entity::find()
            .filter(patient::Column::NirKey.eq(fingerprint.of(nir)))
            .all(&db)
            .await
            .expect("patient");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].id, answer.patient_id);
        assert_eq!(
            injection::Entity::find()
                .filter(injection::Column::PatientId.eq(answer.patient_id))
                .count(&db)
                .await
                .expect("count"),
            1
        );
    }
    // Nothing half-written anywhere: one injection, one stored answer, one audit event per write.
    let total = (acked.len() + cut_short.len()) as u64;
    let injections = injection::Entity::find().count(&db).await.expect("count");
    let answers = idempotent_write::Entity::find()
        .filter(idempotent_write::Column::Key.starts_with("vaccination:"))
        .count(&db)
        .await
        .expect("count");
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("vaccination.recorded"))
        .count(&db)
        .await
        .expect("count");
    assert_eq!(
        (injections, answers, events),
        (total, total, total),
        "injections, stored answers and audit events, one each per write"
    );
    db.close().await.expect("close");

    // --- Stopped, the audit chain checks from end to end.
    server.child.start_kill().expect("stop");
    server.child.wait().await.expect("reaped");
    let out = files
        .command(&files.log("verify"))
        .arg("audit-verify")
        .stdout(Stdio::piped())
        .output()
        .await
        .expect("audit-verify runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("intègre"),
        "audit-verify: {}: {stdout}{}",
        out.status,
        files.stderr("verify")
    );
    eprintln!(
        "{} ({:.1} s in all)",
        stdout.trim(),
        started.elapsed().as_secs_f64()
    );
}
