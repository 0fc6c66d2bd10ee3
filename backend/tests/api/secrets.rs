//! No usable secret at rest: after the flows that create links, codes and keys, the database
//! (its files on SQLite, every row as text on PostgreSQL) holds none of them in clear; the
//! vault's keys file can be rotated; a database started with the wrong keys refuses to start.

use base64::{Engine, engine::general_purpose::STANDARD};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, Statement};
use serde_json::json;
use vigie_backend::{
    Application,
    demo::{CENTRE_ACCOUNT_MOBILE, CENTRE_ACCOUNT_PASSWORD, JEAN_MARTIN_RPPS},
    entities::server_secret,
    vault,
};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};

use crate::helpers::{TestApp, national_id};

/// Everything the database holds, as bytes to search: the SQLite files as they are on disk
/// (free pages and the write-ahead log included), or every PostgreSQL row as JSON text.
async fn database_bytes(app: &TestApp) -> Vec<u8> {
    let db = &app.state.db;
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let mut all = Vec::new();
            for name in ["vigie.db", "vigie.db-wal"] {
                if let Ok(bytes) = std::fs::read(app.dir().join(name)) {
                    all.extend(bytes);
                }
            }
            assert!(all.len() > 4096, "the database files were read");
            all
        }
        _ => {
            let tables = db
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
                ))
                .await
                .expect("tables");
            let mut all = Vec::new();
            for t in tables {
                let table: String = t.try_get("", "tablename").expect("name");
                let rows = db
                    .query_all_raw(Statement::from_string(
                        DbBackend::Postgres,
                        format!("SELECT row_to_json(t)::text AS j FROM \"{table}\" t"),
                    ))
                    .await
                    .expect("rows");
                for r in rows {
                    let j: String = r.try_get("", "j").expect("json");
                    all.extend(j.into_bytes());
                    all.push(b'\n');
                }
            }
            assert!(!all.is_empty(), "rows were read");
            all
        }
    }
}

fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_link_code_or_key_is_readable_in_the_database() {
    let app = TestApp::spawn().await;
    // Activation: a mail with a link, an SMS with a code.
    let _phone = app.activated_phone(JEAN_MARTIN_RPPS).await;
    // A sign-in: its mail carries a « Ce n'est pas moi » link.
    let mut passkey = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut passkey).await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut passkey).await;
    // A structure account's password step: an SMS code.
    let r = crate::accounts::password_step(&app.device(), CENTRE_ACCOUNT_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    // A second activation, left unused: its link and code are live secrets.
    let r = app
        .device()
        .post(
            "/api/activation",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // The secrets, as their recipients (and only they) read them.
    let mails = app.outbox().await;
    let sms = app.sms_outbox().await;
    let activation_link = mails
        .iter()
        .rev()
        .find(|m| m.subject.contains("activation"))
        .and_then(|m| m.body.lines().find(|l| l.contains("#lien=")))
        .expect("an activation link")
        .trim()
        .to_owned();
    let report_token = app.report_token().await;
    let activation_code = sms
        .iter()
        .rev()
        .find(|m| m.body.contains("code d'activation"))
        .expect("an activation code")
        .body
        .clone();
    let sign_in_code = app.last_sms_code(CENTRE_ACCOUNT_MOBILE).await;
    let (dcc_key, _) = app.state.dcc.to_der();
    let decoy_key = *app.state.decoy_key;
    assert!(activation_link.len() > 40 && report_token.len() > 20 && sign_in_code.len() == 6);

    let stored = database_bytes(&app).await;
    // The flows did write to these files: the recipients' addresses are there in clear.
    assert!(holds(&stored, b"jean.martin@demo.vigie.example"));
    let token = activation_link.split("#lien=").nth(1).expect("token");
    for (what, needle) in [
        ("activation link token", token.as_bytes().to_vec()),
        ("report token", report_token.as_bytes().to_vec()),
        ("activation SMS", activation_code.as_bytes().to_vec()),
        (
            "sign-in SMS",
            format!("code de connexion est {sign_in_code}").into_bytes(),
        ),
        ("certificate signing key", dcc_key.clone()),
        (
            "certificate signing key (base64)",
            STANDARD.encode(&dcc_key).into_bytes(),
        ),
        ("decoy key", decoy_key.to_vec()),
        ("decoy key (hex)", hex::encode(decoy_key).into_bytes()),
    ] {
        assert!(!holds(&stored, &needle), "{what} readable in the database");
    }
    // Every server secret is sealed.
    let secrets = server_secret::Entity::find()
        .all(&app.state.db)
        .await
        .expect("secrets");
    assert!(secrets.len() >= 5, "{secrets:?}");
    for s in secrets {
        assert!(vault::is_sealed(&s.value), "{} stored in clear", s.name);
    }
}

#[tokio::test]
async fn rotating_the_vault_keys_reseals_everything_and_drops_the_old_key() {
    let app = TestApp::spawn().await;
    // Something sealed in the outbox.
    let r = app
        .device()
        .post(
            "/api/activation",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let before = app.outbox().await;
    let settings = app.settings().vault.clone();
    let old_id = app.state.vault.sealing_key_id().to_owned();
    let (new_id, resealed) = vault::rotate_file(&settings, &app.state.db)
        .await
        .expect("rotated");
    assert_ne!(new_id, old_id);
    // The canary, the decoy, audit and certificate keys, the certificate, a mail and an SMS.
    assert!(resealed >= 7, "{resealed}");
    let keys = std::fs::read_to_string(&settings.keys_file).expect("keys file");
    let lines: Vec<&str> = keys.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len(), 1, "the old key left the file");

    // The old key alone opens nothing any more; the new file opens everything.
    let rotated = vault::load(&settings).expect("new keys");
    assert_eq!(rotated.sealing_key_id(), new_id);
    let mail = vigie_backend::entities::mail_outbox::Entity::find()
        .all(&app.state.db)
        .await
        .expect("mails");
    assert_eq!(mail.len(), before.len());
    for (sealed, opened) in mail.iter().zip(&before) {
        assert!(
            app.state
                .vault
                .open_text(vault::MAIL_BODY, &sealed.body)
                .is_err()
        );
        assert_eq!(
            rotated
                .open_text(vault::MAIL_BODY, &sealed.body)
                .expect("opens"),
            opened.body
        );
    }
    // A server started on the rotated file signs with the same certificate key as before.
    let mut again = app.settings().clone();
    again.listen = "127.0.0.1:0".parse().expect("addr");
    let second = Application::build(again).await.expect("starts on new keys");
    assert_eq!(second.state.dcc.kid(), app.state.dcc.kid());
    assert_eq!(*second.state.decoy_key, *app.state.decoy_key);
}

#[tokio::test]
async fn a_server_with_the_wrong_keys_refuses_to_start() {
    let app = TestApp::spawn().await;
    let mut wrong = app.settings().clone();
    wrong.listen = "127.0.0.1:0".parse().expect("addr");
    wrong.vault.keys_file = app.dir().join("other.keys");
    let err = Application::build(wrong)
        .await
        .err()
        .expect("refused to start");
    assert!(
        format!("{err:#}").contains("vault keys do not open"),
        "{err:#}"
    );
    // The right keys given in the environment form work too.
    let mut from_env = app.settings().clone();
    from_env.listen = "127.0.0.1:0".parse().expect("addr");
    let file = std::fs::read_to_string(&from_env.vault.keys_file).expect("keys");
    let key = file
        .lines()
        .find(|l| !l.starts_with('#'))
        .expect("a key")
        .to_owned();
    from_env.vault.keys_file = app.dir().join("absent.keys");
    from_env.vault.keys = Some(secrecy::SecretString::from(key));
    Application::build(from_env)
        .await
        .expect("starts with the keys from the environment");
    assert!(
        !app.dir().join("absent.keys").exists(),
        "no file created when the environment gives the keys"
    );
}

/// The patient's NIR is not stored: after a vaccination of a new patient, the database holds
/// neither the NIR nor its digits grouped; the file still opens by NIR (through its keyed
/// fingerprint) and shows the masked form; the look-up and the reads are audited.
#[tokio::test]
async fn a_patient_s_nir_is_not_readable_in_the_database() {
    use vigie_shared::api::vaccination::{PatientLookupResult, VaccinationRecorded};
    let h = crate::vaccination::hall().await;
    let body = crate::vaccination::first_dose(&h, uuid::Uuid::new_v4());
    let nir = body["patient"]["nir"].as_str().expect("nir").to_owned();
    let recorded: VaccinationRecorded =
        crate::helpers::ok_json(h.app.post("/api/vaccinations", &body).await).await;
    let found: PatientLookupResult = crate::helpers::ok_json(
        h.app
            .post("/api/patients/lookup", &json!({ "nir": nir }))
            .await,
    )
    .await;
    let file = found.patient.expect("found by NIR");
    assert_eq!(file.id, recorded.patient_id);
    assert_eq!(
        file.nir_masked,
        format!("{} {} {} ** *** *** **", &nir[0..1], &nir[1..3], &nir[3..5])
    );
    let r = h
        .app
        .get(&format!(
            "/api/patients/{}/certificate",
            recorded.patient_id
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let stored = database_bytes(&h.app).await;
    assert!(
        holds(&stored, file.nir_masked.as_bytes()),
        "the masked form is there"
    );
    assert!(!holds(&stored, nir.as_bytes()), "the NIR is readable");
    assert!(
        !holds(&stored, &nir.as_bytes()[..13]),
        "the NIR without its key is readable"
    );
    // Audited: the look-up and the certificate read, under the patient's id.
    use sea_orm::{ColumnTrait, QueryFilter};
    use vigie_backend::entities::audit_event;
    vigie_backend::audit::seal(&h.app.state.db, &h.app.state.audit_key)
        .await
        .expect("seal");
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::Subject.eq(recorded.patient_id.to_string()))
        .all(&h.app.state.db)
        .await
        .expect("events");
    let actions: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.details.as_str()))
        .collect();
    assert!(
        actions.contains(&("patient.looked_up", "null")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("patient.read", r#"{"what":"certificate"}"#)),
        "{actions:?}"
    );
}

/// A patient stored by an earlier version (NIR in clear) is converted at the next start: the
/// NIR becomes its fingerprint and its masked form, and the file opens by NIR as before.
#[tokio::test]
async fn a_nir_stored_in_clear_by_an_earlier_version_is_forgotten_at_start() {
    use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter};
    use vigie_backend::entities::patient;
    let app = TestApp::spawn().await;
    let nir = "255081416802538";
    let id = uuid::Uuid::new_v4();
    let now = app.state.now();
    patient::Entity::insert(patient::ActiveModel {
        id: Set(id),
        nir_key: Set(nir.into()),
        nir_masked: Set(String::new()),
        family_name: Set("ANCIEN".into()),
        given_names: Set("Dossier".into()),
        birth_date: Set(chrono::NaiveDate::from_ymd_opt(1955, 8, 14).expect("date")),
        sex: Set(vigie_shared::Sex::Female),
        residence_department: Set("75".into()),
        esms_finess: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&app.state.db)
    .await
    .expect("legacy row");
    let mut again = app.settings().clone();
    again.listen = "127.0.0.1:0".parse().expect("addr");
    Application::build(again).await.expect("restarts");
    let row = patient::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!(row.nir_key, app.state.nir_fingerprint.of(nir));
    assert_eq!(row.nir_masked, "2 55 08 ** *** *** **");
    assert_eq!(
        patient::Entity::find()
            .filter(patient::Column::NirKey.eq(nir))
            .count(&app.state.db)
            .await
            .expect("count"),
        0
    );
}

/// A masked NIR stored by an earlier version, which showed 10 characters, keeps only sex, year
/// and month of birth once the database is brought up to date; one already short is left as it is.
#[tokio::test]
async fn a_nir_masked_by_an_earlier_version_shows_less_after_start() {
    use sea_orm::ActiveValue::Set;
    use sea_orm_migration::MigratorTrait;
    use vigie_backend::entities::patient;
    let app = TestApp::spawn().await;
    // The database as the earlier version left it: the step that cuts masks (and those after
    // it) not applied yet.
    let steps = vigie_backend::migration::Migrator::get_applied_migrations(&app.state.db)
        .await
        .expect("applied")
        .iter()
        .rev()
        .position(|m| m.name() == "m20261129_000013_shorter_nir_mask")
        .expect("applied")
        + 1;
    vigie_backend::migration::Migrator::down(&app.state.db, Some(steps as u32))
        .await
        .expect("steps back");
    let now = app.state.now();
    let mut ids = Vec::new();
    for (nir, masked) in [
        ("255081416802538", "2 55 08 14 168 *** **"),
        ("184052A01234512", "1 84 05 ** *** *** **"),
    ] {
        let id = uuid::Uuid::new_v4();
        patient::Entity::insert(patient::ActiveModel {
            id: Set(id),
            nir_key: Set(app.state.nir_fingerprint.of(nir)),
            nir_masked: Set(masked.into()),
            family_name: Set("ANCIEN".into()),
            given_names: Set("Dossier".into()),
            birth_date: Set(chrono::NaiveDate::from_ymd_opt(1955, 8, 14).expect("date")),
            sex: Set(vigie_shared::Sex::Female),
            residence_department: Set("75".into()),
            esms_finess: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(&app.state.db)
        .await
        .expect("row");
        ids.push(id);
    }
    let mut again = app.settings().clone();
    again.listen = "127.0.0.1:0".parse().expect("addr");
    Application::build(again).await.expect("restarts");
    let mut shown = Vec::new();
    for id in ids {
        let row = patient::Entity::find_by_id(id)
            .one(&app.state.db)
            .await
            .expect("query")
            .expect("row");
        shown.push(row.nir_masked);
    }
    assert_eq!(shown, ["2 55 08 ** *** *** **", "1 84 05 ** *** *** **"]);
}

/// Outbox bodies stored in clear by an earlier version are sealed at the next start (a mail
/// already handed to the relay loses its body); they still open for their recipient.
#[tokio::test]
async fn outbox_bodies_stored_in_clear_are_sealed_at_start() {
    use sea_orm::ActiveValue::Set;
    use vigie_backend::entities::{mail_outbox, sms_outbox};
    let app = TestApp::spawn().await;
    let now = app.state.now();
    let (waiting, relayed, sms) = (
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
    );
    for (id, sent_at) in [(waiting, None), (relayed, Some(now))] {
        mail_outbox::Entity::insert(mail_outbox::ActiveModel {
            id: Set(id),
            recipient: Set("jean.martin@demo.vigie.example".into()),
            subject: Set("Ancien message".into()),
            body: Set("lien https://vigie.example/activation#lien=ANCIEN".into()),
            created_at: Set(now),
            sent_at: Set(sent_at),
            error: Set(None),
        })
        .exec(&app.state.db)
        .await
        .expect("legacy mail");
    }
    sms_outbox::Entity::insert(sms_outbox::ActiveModel {
        id: Set(sms),
        recipient: Set("+33612345678".into()),
        body: Set("Vigie : votre code est 123456".into()),
        created_at: Set(now),
    })
    .exec(&app.state.db)
    .await
    .expect("legacy sms");
    let mut again = app.settings().clone();
    again.listen = "127.0.0.1:0".parse().expect("addr");
    Application::build(again).await.expect("restarts");
    let db = &app.state.db;
    let mail = |id| async move {
        mail_outbox::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("row")
            .body
    };
    let sealed = mail(waiting).await;
    assert!(vault::is_sealed(sealed.as_bytes()), "{sealed}");
    assert_eq!(
        app.state
            .vault
            .open_text(vault::MAIL_BODY, &sealed)
            .expect("opens"),
        "lien https://vigie.example/activation#lien=ANCIEN"
    );
    assert_eq!(mail(relayed).await, "", "relayed: the body is gone");
    let sms = sms_outbox::Entity::find_by_id(sms)
        .one(db)
        .await
        .expect("query")
        .expect("row")
        .body;
    assert_eq!(
        app.state
            .vault
            .open_text(vault::SMS_BODY, &sms)
            .expect("opens"),
        "Vigie : votre code est 123456"
    );
}

/// What someone who can write to the database (and has no vault key) would do to rewrite the
/// audit trail once its key is gone: relink every event, and the head, by plain SHA-256 (as the
/// chain was linked before it had a key), with one event changed on the way.
async fn relink_the_chain_by_plain_hashes(app: &TestApp) {
    crate::helpers::relink_by_plain_hashes(app, 1, |e| {
        if e.seq == 1 {
            e.action = "forged.event".into();
        }
    })
    .await;
}

/// A server with activity behind it, its audit trail sealed into the chain.
async fn app_with_an_audit_trail() -> TestApp {
    let app = TestApp::spawn().await;
    let _phone = app.activated_phone(JEAN_MARTIN_RPPS).await;
    app.sealed().await;
    app
}

/// Another start of the same server (same database, same keys file).
async fn restart(app: &TestApp) -> anyhow::Result<Application> {
    let mut again = app.settings().clone();
    again.listen = "127.0.0.1:0".parse().expect("addr");
    Application::build(again).await
}

/// `vigie audit-verify` on the test's database and keys: its exit code and what it printed.
fn audit_verify(app: &TestApp) -> (Option<i32>, String) {
    use secrecy::ExposeSecret;
    let settings = app.settings();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .arg("audit-verify")
        .current_dir(app.dir())
        .env_clear()
        .env("DATABASE_URL", settings.database_url.expose_secret())
        .env("VIGIE_VAULT__KEYS_FILE", &settings.vault.keys_file)
        .env("VIGIE_DIST_DIR", app.dir().join("no-dist"))
        .env("VIGIE_LOG", "error")
        .output()
        .expect("vigie audit-verify runs");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn delete_secret(app: &TestApp, name: &str) {
    server_secret::Entity::delete_by_id(name.to_owned())
        .exec(&app.state.db)
        .await
        .expect("deleted");
}

async fn set_secret(app: &TestApp, name: &str, value: Vec<u8>) {
    use sea_orm::{ActiveValue::Set, sea_query::OnConflict};
    server_secret::Entity::insert(server_secret::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(value),
    })
    .on_conflict(
        OnConflict::column(server_secret::Column::Name)
            .update_column(server_secret::Column::Value)
            .to_owned(),
    )
    .exec_without_returning(&app.state.db)
    .await
    .expect("stored");
}

/// Someone who can write to the database deletes the audit chain's key and relinks the chain
/// by plain hashes: neither a new start nor `vigie audit-verify` makes a new key under which
/// the forged chain would check; both say the database was altered.
#[tokio::test]
async fn a_deleted_audit_chain_key_is_reported_not_replaced() {
    let app = app_with_an_audit_trail().await;
    delete_secret(&app, "audit_chain_key").await;
    relink_the_chain_by_plain_hashes(&app).await;

    let err = restart(&app).await.err().expect("refused to start");
    assert!(
        format!("{err:#}").contains("audit chain's key is missing"),
        "{err:#}"
    );
    let err = vigie_backend::audit::ChainKey::load(&app.state.db, &app.state.vault)
        .await
        .expect_err("no new chain key");
    assert!(err.downcast_ref::<vault::Tampered>().is_some(), "{err:#}");
    let (code, out) = audit_verify(&app);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("ALTÉRÉ"), "{out}");
    assert!(
        server_secret::Entity::find_by_id("audit_chain_key".to_owned())
            .one(&app.state.db)
            .await
            .expect("query")
            .is_none(),
        "no chain key was made anew"
    );
}

/// A value planted in clear for a server secret (the audit chain's key with an early start,
/// the certificate signing key, the decoy, NIR fingerprint or code key) is refused, never sealed as
/// if an earlier version had left it; and so is a database whose canary was deleted.
#[tokio::test]
async fn a_secret_planted_in_clear_or_a_deleted_canary_is_refused() {
    let app = app_with_an_audit_trail().await;
    let mut planted_chain_key = [7u8; 32].to_vec();
    planted_chain_key.extend_from_slice(&i64::MAX.to_be_bytes());
    for (name, planted) in [
        ("audit_chain_key", planted_chain_key),
        ("dcc_signing_key_pkcs8", b"planted".to_vec()),
        ("decoy_credentials", [7u8; 32].to_vec()),
        ("nir_fingerprint", [7u8; 32].to_vec()),
        ("code_key", [7u8; 32].to_vec()),
    ] {
        let genuine = server_secret::Entity::find_by_id(name.to_owned())
            .one(&app.state.db)
            .await
            .expect("query")
            .expect("stored");
        set_secret(&app, name, planted.clone()).await;
        let err = restart(&app).await.err().expect("refused to start");
        assert!(
            format!("{err:#}").contains(&format!("server secret {name} is stored in clear")),
            "{name}: {err:#}"
        );
        assert!(
            vault::read_secret(&app.state.db, &app.state.vault, name)
                .await
                .is_err(),
            "{name} read in clear"
        );
        if name == "audit_chain_key" {
            let (code, out) = audit_verify(&app);
            assert_eq!(code, Some(2), "{out}");
            assert!(out.contains("ALTÉRÉ"), "{out}");
        }
        // Left as planted: not sealed by the refused starts.
        let row = server_secret::Entity::find_by_id(name.to_owned())
            .one(&app.state.db)
            .await
            .expect("query")
            .expect("stored");
        assert_eq!(row.value, planted, "{name} sealed");
        set_secret(&app, name, genuine.value).await;
    }
    restart(&app).await.expect("starts with its own secrets");

    // The canary deleted, with a secret planted in clear: not taken for a database from before
    // the vault, whose secrets are sealed once at the start that creates the keys file.
    delete_secret(&app, "vault_canary").await;
    set_secret(&app, "decoy_credentials", [7u8; 32].to_vec()).await;
    let err = restart(&app).await.err().expect("refused to start");
    assert!(format!("{err:#}").contains("canary is missing"), "{err:#}");
    let (code, out) = audit_verify(&app);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("ALTÉRÉ"), "{out}");
}

/// A database from a version before the vault (server secrets in clear, no canary, no chain
/// key, an audit chain linked by plain hashes) is sealed once, at the first start, the one that
/// creates the keys file: its secrets are kept and sealed, its chain checks and is keyed from
/// the next event on.
#[tokio::test]
async fn a_database_from_before_the_vault_is_sealed_at_the_first_start() {
    use vigie_backend::audit::{ChainKey, Verdict, verify};
    let app = app_with_an_audit_trail().await;
    server_secret::Entity::delete_many()
        .exec(&app.state.db)
        .await
        .expect("secrets gone");
    let decoy = [9u8; 32];
    set_secret(&app, "decoy_credentials", decoy.to_vec()).await;
    relink_the_chain_by_plain_hashes(&app).await;

    let mut first = app.settings().clone();
    first.listen = "127.0.0.1:0".parse().expect("addr");
    first.vault.keys_file = app.dir().join("first.keys");
    let sealed = Application::build(first.clone())
        .await
        .expect("the first start seals it");
    assert_eq!(*sealed.state.decoy_key, decoy, "the secret is kept");
    for s in server_secret::Entity::find()
        .all(&app.state.db)
        .await
        .expect("secrets")
    {
        assert!(vault::is_sealed(&s.value), "{} stored in clear", s.name);
    }
    let key = ChainKey::load(&app.state.db, &sealed.state.vault)
        .await
        .expect("chain key");
    assert!(matches!(
        verify(&app.state.db, &key).await.expect("verify"),
        Verdict::Intact { events } if events > 0
    ));
    // Once only: a value planted in clear afterwards is refused.
    set_secret(&app, "decoy_credentials", decoy.to_vec()).await;
    first.listen = "127.0.0.1:0".parse().expect("addr");
    let err = Application::build(first).await.err().expect("refused");
    assert!(format!("{err:#}").contains("stored in clear"), "{err:#}");
}

/// The hash a version before the keyed codes stored: SHA-256 of the row's id and the code.
fn plain_code_hash(id: uuid::Uuid, code: &str, prefix: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(format!("{prefix}{id}:{code}").as_bytes()))
}

/// A 6-digit code (push request, structure-account SMS, activation SMS) is stored keyed by a
/// vault-sealed key, not as a plain SHA-256 a dump reverses by trying the 10^6 codes; and the
/// three flows still take the right code.
#[tokio::test]
async fn six_digit_codes_are_stored_keyed() {
    use sea_orm::{ColumnTrait, QueryFilter};
    use vigie_backend::entities::{activation, approval_request, session};
    use vigie_shared::api::{
        activation::ActivationGranted,
        approval::{ApprovalState, ApprovalStatus},
        session::{SessionStage, SessionState},
    };

    use crate::helpers::ok_json;
    let app = TestApp::spawn().await;

    // Activation: link by mail, code by SMS.
    let phone = app.device();
    let r = phone
        .post(
            "/api/activation",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let mail = app
        .outbox()
        .await
        .into_iter()
        .find(|m| m.subject.contains("activation"))
        .expect("activation mail");
    let sms = app.sms_outbox().await;
    let code = crate::activation::sms_code(&sms.last().expect("sms").body);
    let row = activation::Entity::find()
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("activation row");
    assert_eq!(row.sms_code_hash.len(), 64);
    assert_ne!(row.sms_code_hash, plain_code_hash(row.id, &code, ""));
    ok_json::<ActivationGranted>(
        phone
            .post(
                "/api/activation/verify",
                &json!({ "link_token": crate::activation::link_token(&mail.body), "sms_code": code }),
            )
            .await,
    )
    .await;

    // Push request: the terminal shows the code, the phone types it.
    let (phone, mut key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let created = crate::approvals::ask(&terminal, JEAN_MARTIN_RPPS).await;
    let row = approval_request::Entity::find_by_id(created.approval_id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("request row");
    assert_eq!(row.code_hash.len(), 64);
    assert_ne!(row.code_hash, plain_code_hash(row.id, &created.code, ""));
    let (r, _) =
        crate::approvals::confirm(&app, &phone, &mut key, created.approval_id, &created.code).await;
    assert_eq!(
        ok_json::<ApprovalState>(r).await.status,
        ApprovalStatus::Approved
    );

    // Structure account: password, then the SMS code.
    let device = app.device();
    ok_json::<SessionState>(crate::accounts::password_step(&device, CENTRE_ACCOUNT_PASSWORD).await)
        .await;
    let code = app.last_sms_code(CENTRE_ACCOUNT_MOBILE).await;
    let row = session::Entity::find()
        .filter(session::Column::FactorCodeHash.is_not_null())
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("session waiting for its code");
    let stored = row.factor_code_hash.clone().expect("hash");
    assert_eq!(stored.len(), 64);
    for prefix in ["", "second-factor:"] {
        assert_ne!(stored, plain_code_hash(row.id, &code, prefix));
    }
    let state: SessionState = ok_json(
        device
            .post("/api/accounts/second-factor", &json!({ "code": code }))
            .await,
    )
    .await;
    assert_eq!(state.stage, SessionStage::Active);
}

/// The cookie values (session, terminal, approver) a response sets: secrets of their holder.
fn set_cookies(r: &reqwest::Response, what: &str, secrets: &mut Vec<(String, Vec<u8>)>) {
    for v in r.headers().get_all("set-cookie") {
        let v = v.to_str().expect("ascii cookie");
        let (name, value) = v
            .split(';')
            .next()
            .and_then(|c| c.split_once('='))
            .expect("name=value");
        if !value.is_empty() {
            secrets.push((format!("{what}: cookie {name}"), value.as_bytes().to_vec()));
        }
    }
}

/// A 6-digit code stands alone in the files: digits on neither side (timestamps and hex carry
/// runs of digits; a run of exactly these six, by chance, is about one in a million per run).
fn holds_code(haystack: &[u8], code: &str) -> bool {
    let code = code.as_bytes();
    haystack.windows(code.len() + 2).any(|w| {
        &w[1..=code.len()] == code && !w[0].is_ascii_digit() && !w[code.len() + 1].is_ascii_digit()
    })
}

/// The flows the first test does not run — QR activation from a passkey session, a staff
/// enrolment link, a push sign-in, a delegated sign-in, a password change — leave none of the
/// secrets they hand out readable in the database: cookies, enrolment tokens and links, codes
/// shown on a terminal or sent by SMS, the new password.
#[tokio::test]
async fn no_cookie_token_or_code_of_the_other_flows_is_readable_in_the_database() {
    use serde_json::Value;
    use vigie_backend::demo::CENTRE_FINESS;
    use vigie_shared::api::{
        activation::ActivationQr, approval::ApprovalCreated, passkey::RegistrationChallenge,
        session::SessionState,
    };

    use crate::helpers::ok_json;
    let app = TestApp::spawn().await;
    let mut secrets: Vec<(String, Vec<u8>)> = Vec::new();
    let mut codes: Vec<(String, String)> = Vec::new();

    // QR activation from a passkey session: the computer shows a link, the phone enrols.
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let computer = app.device();
    let r = app
        .sign_in_response_with(&computer.client, JEAN_MARTIN_RPPS, &mut key)
        .await;
    set_cookies(&r, "passkey sign-in", &mut secrets);
    ok_json::<SessionState>(r).await;
    let qr: ActivationQr = ok_json(computer.post_empty("/api/activation/qr").await).await;
    let qr_token = qr.link.split("#jeton=").nth(1).expect("token").to_owned();
    secrets.push(("QR activation link".into(), qr.link.clone().into_bytes()));
    secrets.push(("QR activation token".into(), qr_token.clone().into_bytes()));
    let phone = app.device();
    let mut phone_key = SoftPasskey::new(true);
    let challenge: RegistrationChallenge = ok_json(
        phone
            .post(
                "/api/passkeys/registration/start",
                &json!({ "enrolment_token": qr_token }),
            )
            .await,
    )
    .await;
    let credential = phone_key
        .do_registration(app.base.clone(), challenge.options)
        .expect("phone registers");
    let r = phone
        .post(
            "/api/passkeys/registration/finish",
            &json!({ "ceremony_id": challenge.ceremony_id, "credential": credential, "label": "Téléphone" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    set_cookies(&r, "QR activation", &mut secrets);

    // The manager signs in (password, SMS code) and hands out a staff enrolment link.
    let manager = app.device();
    let r = crate::accounts::password_step(&manager, CENTRE_ACCOUNT_PASSWORD).await;
    set_cookies(&r, "password step", &mut secrets);
    ok_json::<SessionState>(r).await;
    let code = app.last_sms_code(CENTRE_ACCOUNT_MOBILE).await;
    codes.push(("manager's SMS code".into(), code.clone()));
    let r = manager
        .post("/api/accounts/second-factor", &json!({ "code": code }))
        .await;
    set_cookies(&r, "second factor", &mut secrets);
    ok_json::<SessionState>(r).await;
    let (_, _, link) = crate::delegation::marie_link(&manager).await;
    secrets.push((
        "staff enrolment link".into(),
        link.link.clone().into_bytes(),
    ));
    secrets.push((
        "staff enrolment token".into(),
        link.enrolment_token.clone().into_bytes(),
    ));
    let tablet = app.device();
    let mut tablet_key = SoftPasskey::new(true);
    crate::delegation::register_staff_key(&app, &tablet, &mut tablet_key, &link.enrolment_token)
        .await;

    // A push sign-in: the terminal shows a code, the phone types it and approves.
    let terminal = app.device();
    let r = terminal
        .post(
            "/api/approvals",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS), "terminal_label": "Tablette 3" }),
        )
        .await;
    set_cookies(&r, "push request", &mut secrets);
    let created: ApprovalCreated = ok_json(r).await;
    codes.push(("push code".into(), created.code.clone()));
    crate::delegation::approve_on(&app, &phone, &mut phone_key, &created).await;
    let r = terminal
        .post_empty(&format!("/api/approvals/{}/session", created.approval_id))
        .await;
    set_cookies(&r, "push sign-in", &mut secrets);
    ok_json::<SessionState>(r).await;
    secrets.push((
        "push sign-in report token".into(),
        app.report_token().await.into_bytes(),
    ));

    // A delegated sign-in: the delegate's passkey, her request, the doctor's approval.
    let r = crate::delegation::staff_sign_in(&app, &tablet, &mut tablet_key).await;
    set_cookies(&r, "staff sign-in", &mut secrets);
    ok_json::<SessionState>(r).await;
    let jean_id = app.professional_id(JEAN_MARTIN_RPPS).await;
    let r = tablet
        .post(
            "/api/delegation/requests",
            &json!({ "professional_id": jean_id, "terminal_label": "Tablette 4" }),
        )
        .await;
    set_cookies(&r, "delegated request", &mut secrets);
    let created: ApprovalCreated = ok_json(r).await;
    codes.push(("delegated push code".into(), created.code.clone()));
    crate::delegation::approve_on(&app, &phone, &mut phone_key, &created).await;
    let r = tablet
        .post_empty(&format!("/api/approvals/{}/session", created.approval_id))
        .await;
    set_cookies(&r, "delegated sign-in", &mut secrets);
    ok_json::<SessionState>(r).await;

    // A password change, last: it ends the account's other sessions.
    let new_password = "girafe orange sous la pluie 47";
    let r = manager
        .post(
            "/api/accounts/password",
            &json!({ "current_password": CENTRE_ACCOUNT_PASSWORD, "new_password": new_password }),
        )
        .await;
    set_cookies(&r, "password change", &mut secrets);
    ok_json::<Value>(r).await;
    secrets.push(("new password".into(), new_password.as_bytes().to_vec()));
    // Signed in again with it: a new SMS code.
    let again = app.device();
    let r = again
        .post(
            "/api/accounts/sign-in",
            &json!({ "identifier": CENTRE_FINESS, "password": new_password }),
        )
        .await;
    set_cookies(&r, "password step after the change", &mut secrets);
    ok_json::<SessionState>(r).await;
    codes.push((
        "SMS code after the change".into(),
        app.last_sms_code(CENTRE_ACCOUNT_MOBILE).await,
    ));

    // Every SMS body as sent (codes in their sentence).
    for (i, m) in app.sms_outbox().await.into_iter().enumerate() {
        secrets.push((format!("SMS {i}"), m.body.into_bytes()));
    }
    let kinds: Vec<&str> = secrets.iter().map(|(w, _)| w.as_str()).collect();
    for cookie in ["vigie_session", "vigie_terminal", "vigie_approver"] {
        assert!(
            kinds.iter().any(|w| w.contains(cookie)),
            "no {cookie} cookie seen: {kinds:?}"
        );
    }
    assert!(codes.iter().all(|(_, c)| c.len() == 6));

    let stored = database_bytes(&app).await;
    assert!(holds(&stored, b"jean.martin@demo.vigie.example"));
    for (what, needle) in &secrets {
        assert!(needle.len() >= 16, "{what}: {needle:?}");
        assert!(!holds(&stored, needle), "{what} readable in the database");
    }
    for (what, code) in &codes {
        assert!(
            !holds_code(&stored, code),
            "{what} readable in the database"
        );
    }
}
