use reqwest::{Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use url::Url;
use vigie_backend::{Application, Settings, auth, clock::Clock, demo, state::AppState};
use vigie_shared::api::{
    passkey::{
        AuthenticationChallenge, AuthenticationFinish, RegisteredPasskey, RegistrationChallenge,
        RegistrationFinish,
    },
    session::SessionState,
};
use vigie_shared::{ApiError, NationalId, Rpps};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};

pub struct TestApp {
    pub base: Url,
    pub client: reqwest::Client,
    pub state: AppState,
    settings: Settings,
    _dir: tempfile::TempDir,
}

/// A fresh database URL: a new PostgreSQL database when DATABASE_URL points at a server,
/// otherwise a SQLite file in a temporary folder.
async fn fresh_database(dir: &tempfile::TempDir) -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let name = format!("vigie_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&url).await.expect("PostgreSQL reachable");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let mut u = Url::parse(&url).expect("DATABASE_URL is a URL");
            u.set_path(&format!("/{name}"));
            u.to_string()
        }
        _ => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("vigie.db").display()
        ),
    }
}

/// A client that behaves as Vigie's own pages do: its cookies, and the `Origin` of the public
/// URL on every request (the server refuses changes from anywhere else).
pub fn browser(base: &Url) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        base.origin().ascii_serialization().parse().expect("origin"),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .expect("client")
}

impl TestApp {
    /// Links every committed audit event into the chain now. On PostgreSQL a write's events wait
    /// in `audit_pending` for the instance's sealer (woken by the commit, not awaited by it); a
    /// test that reads the chain right after a write seals first, as the sealer would.
    pub async fn sealed(&self) {
        vigie_backend::audit::seal(&self.state.db, &self.state.audit_key)
            .await
            .expect("seal");
    }

    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        vigie_backend::telemetry::init("error");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::default();
        settings.listen = "127.0.0.1:0".parse().expect("addr");
        settings.public_url = Url::parse("http://localhost:0").expect("url");
        settings.database_url = SecretString::from(fresh_database(&dir).await);
        settings.dist_dir = dir.path().join("no-dist");
        settings.vault.keys_file = dir.path().join("vigie.keys");
        settings.testing = true;
        configure(&mut settings);
        let kept = settings.clone();
        let app = Application::build(settings).await.expect("app builds");
        let base = app.public_url().clone();
        let state = app.state.clone();
        demo::load(&state.db).await.expect("demo data");
        tokio::spawn(app.run_until_stopped());
        let client = browser(&base);
        Self {
            base,
            client,
            state,
            settings: kept,
            _dir: dir,
        }
    }

    /// The addresses to attack from: on PostgreSQL, this instance and a second one started on
    /// the same database (same origin for WebAuthn, same clock); on SQLite, this one only.
    pub async fn instances(&self) -> Vec<Url> {
        if !self.settings_database_is_postgres() {
            return vec![self.base.clone()];
        }
        let mut settings = self.settings.clone();
        settings.listen = "127.0.0.1:0".parse().expect("addr");
        // The first instance's public URL: both answer for one origin.
        settings.public_url = self.base.clone();
        let second = Application::build_with_clock(settings, self.state.clock.clone())
            .await
            .expect("second instance builds");
        let mut url = self.base.clone();
        url.set_port(Some(second.port())).expect("port");
        tokio::spawn(second.run_until_stopped());
        vec![self.base.clone(), url]
    }

    fn settings_database_is_postgres(&self) -> bool {
        use secrecy::ExposeSecret;
        self.settings
            .database_url
            .expose_secret()
            .starts_with("postgres")
    }

    /// The settings this server started with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// This server's own directory (its SQLite file and vault keys).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("path")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn post<B: Serialize>(&self, path: &str, body: &B) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn put_json<B: Serialize>(&self, path: &str, body: &B) -> Response {
        self.client
            .put(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// Moves the server clock forward to the next 10:00 in Paris on a day the demo centre is
    /// open (Monday to Saturday): by day, in opening hours, whenever the tests run. Done before
    /// anyone signs in (sessions would expire).
    pub fn to_opening_hours(&self) {
        use chrono::{Datelike, TimeZone};
        use chrono_tz::Europe::Paris;
        let now = self.state.now();
        let mut day = now.with_timezone(&Paris).date_naive();
        loop {
            let at = Paris
                .from_local_datetime(&day.and_hms_opt(10, 0, 0).expect("time"))
                .single()
                .expect("10:00 exists")
                .to_utc();
            if at > now && day.weekday() != chrono::Weekday::Sun {
                self.clock().advance(at - now);
                return;
            }
            day = day.succ_opt().expect("next day");
        }
    }

    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// A one-time enrolment token for a demo professional, as the `enrol` command issues.
    pub async fn enrolment_token(&self, rpps: &str) -> String {
        let id = self.professional_id(rpps).await;
        auth::enrolment::issue(
            &self.state.db,
            self.state.now(),
            id,
            auth::enrolment::LIFETIME,
        )
        .await
        .expect("issue")
        .token
    }

    pub async fn professional_id(&self, rpps: &str) -> uuid::Uuid {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use vigie_backend::entities::professional;
        professional::Entity::find()
            .filter(professional::Column::Rpps.eq(rpps))
            .one(&self.state.db)
            .await
            .expect("query")
            .expect("demo professional")
            .id
    }

    /// Registers a SoftPasskey for the professional through the real API.
    pub async fn register_passkey(&self, rpps: &str, key: &mut SoftPasskey) -> RegisteredPasskey {
        self.register_passkey_with(&self.client, rpps, key).await
    }

    /// Registers a SoftPasskey from this device (which becomes an approver phone too).
    pub async fn register_passkey_on(
        &self,
        device: &Device,
        rpps: &str,
        key: &mut SoftPasskey,
    ) -> RegisteredPasskey {
        self.register_passkey_with(&device.client, rpps, key).await
    }

    async fn register_passkey_with(
        &self,
        client: &reqwest::Client,
        rpps: &str,
        key: &mut SoftPasskey,
    ) -> RegisteredPasskey {
        let token = self.enrolment_token(rpps).await;
        let challenge: RegistrationChallenge = ok_json(
            post_with(
                client,
                self.url("/api/passkeys/registration/start"),
                &serde_json::json!({ "enrolment_token": token }),
            )
            .await,
        )
        .await;
        let credential = key
            .do_registration(self.base.clone(), challenge.options)
            .expect("soft passkey registers");
        let finish = RegistrationFinish {
            ceremony_id: challenge.ceremony_id,
            credential,
            label: Some("Téléphone".into()),
        };
        ok_json(
            post_with(
                client,
                self.url("/api/passkeys/registration/finish"),
                &finish,
            )
            .await,
        )
        .await
    }

    /// Runs a passkey sign-in with the given key; returns the raw finish response.
    pub async fn sign_in_response(&self, rpps: &str, key: &mut SoftPasskey) -> Response {
        self.sign_in_response_with(&self.client, rpps, key).await
    }

    pub async fn sign_in_response_with(
        &self,
        client: &reqwest::Client,
        rpps: &str,
        key: &mut SoftPasskey,
    ) -> Response {
        let finish = self.signed_challenge(client, rpps, key).await;
        post_with(
            client,
            self.url("/api/passkeys/authentication/finish"),
            &finish,
        )
        .await
    }

    /// A sign-in challenge started for the professional and signed by the key, not yet sent.
    pub async fn signed_challenge(
        &self,
        client: &reqwest::Client,
        rpps: &str,
        key: &mut SoftPasskey,
    ) -> AuthenticationFinish {
        let challenge: AuthenticationChallenge = ok_json(
            post_with(
                client,
                self.url("/api/passkeys/authentication/start"),
                &serde_json::json!({ "national_id": national_id(rpps) }),
            )
            .await,
        )
        .await;
        let credential = key
            .do_authentication(self.base.clone(), challenge.options)
            .expect("soft passkey signs");
        AuthenticationFinish {
            ceremony_id: challenge.ceremony_id,
            credential,
        }
    }

    pub async fn sign_in(&self, rpps: &str, key: &mut SoftPasskey) -> SessionState {
        ok_json(self.sign_in_response(rpps, key).await).await
    }

    /// Signs this device (its own cookies) in with the professional's passkey.
    pub async fn sign_in_on(
        &self,
        device: &Device,
        rpps: &str,
        key: &mut SoftPasskey,
    ) -> SessionState {
        ok_json(self.sign_in_response_with(&device.client, rpps, key).await).await
    }

    /// A second vaccination centre, in Lyon (no one practises there yet).
    pub async fn lyon_centre(&self) -> uuid::Uuid {
        use sea_orm::{ActiveValue::Set, EntityTrait};
        use vigie_backend::entities::structure;
        let id = uuid::Uuid::new_v4();
        structure::Entity::insert(structure::ActiveModel {
            id: Set(id),
            finess: Set("690781810".into()),
            name: Set("Centre de Lyon".into()),
            kind: Set("centre_vaccination".into()),
            address: Set("Lyon".into()),
            department: Set("69".into()),
            opening_hours: Set(String::new()),
            created_at: Set(self.state.now()),
            owner_professional_id: Set(None),
        })
        .exec(&self.state.db)
        .await
        .expect("structure");
        id
    }

    /// The latest SMS code sent to this mobile.
    pub async fn last_sms_code(&self, mobile: &str) -> String {
        let sms: Vec<_> = self
            .sms_outbox()
            .await
            .into_iter()
            .filter(|m| m.recipient == mobile)
            .collect();
        let body = &sms.last().expect("an SMS was sent").body;
        body.split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .expect("a 6-digit code")
            .to_owned()
    }

    /// A professional's own browser: passkey created there, then signed in there.
    pub async fn professional_device(&self, rpps: &str) -> (Device, SoftPasskey) {
        let device = self.device();
        let mut key = SoftPasskey::new(true);
        self.register_passkey_with(&device.client, rpps, &mut key)
            .await;
        self.sign_in_on(&device, rpps, &mut key).await;
        (device, key)
    }
}

async fn post_with<B: Serialize>(client: &reqwest::Client, url: Url, body: &B) -> Response {
    client.post(url).json(body).send().await.expect("request")
}

pub fn national_id(rpps: &str) -> NationalId {
    Rpps::parse(rpps).expect("valid rpps").national_id()
}

pub async fn ok_json<T: DeserializeOwned>(response: Response) -> T {
    let status = response.status();
    let text = response.text().await.expect("body");
    assert!(
        status.is_success(),
        "expected success, got {status}: {text}"
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body does not decode ({e}): {text}"))
}

/// Asserts the status and that the body is an `ApiError`; returns it.
pub async fn api_error(response: Response, status: StatusCode) -> ApiError {
    assert_eq!(response.status(), status, "unexpected status");
    assert!(
        response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json")),
        "error bodies are JSON"
    );
    let body: Value = response.json().await.expect("json body");
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("not an ApiError ({e}): {body}"))
}

/// A browser of its own (cookie jar): the terminal, the phone, an attacker's computer.
pub struct Device {
    pub base: Url,
    pub client: reqwest::Client,
}

impl Device {
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.base.join(path).expect("path"))
            .send()
            .await
            .expect("request")
    }

    pub async fn post<B: Serialize>(&self, path: &str, body: &B) -> Response {
        self.client
            .post(self.base.join(path).expect("path"))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_empty(&self, path: &str) -> Response {
        self.client
            .post(self.base.join(path).expect("path"))
            .send()
            .await
            .expect("request")
    }
}

impl Device {
    /// The same browser (same cookies) talking to another instance.
    pub fn on(&self, base: &Url) -> Device {
        Device {
            base: base.clone(),
            client: self.client.clone(),
        }
    }
}

impl TestApp {
    /// A device of its own talking to the given instance.
    pub fn device_on(&self, base: &Url) -> Device {
        self.device().on(base)
    }

    /// Another device (its own cookies): a phone, a second terminal.
    pub fn device(&self) -> Device {
        Device {
            base: self.base.clone(),
            client: browser(&self.base),
        }
    }

    /// A phone activated for the professional: passkey created there, approver cookie set.
    pub async fn activated_phone(&self, rpps: &str) -> (Device, SoftPasskey) {
        let phone = self.device();
        let mut key = SoftPasskey::new(true);
        let token = self.enrolment_token(rpps).await;
        let challenge: RegistrationChallenge = ok_json(
            phone
                .post(
                    "/api/passkeys/registration/start",
                    &serde_json::json!({ "enrolment_token": token }),
                )
                .await,
        )
        .await;
        let credential = key
            .do_registration(self.base.clone(), challenge.options)
            .expect("soft passkey registers");
        let finish = RegistrationFinish {
            ceremony_id: challenge.ceremony_id,
            credential,
            label: Some("Téléphone".into()),
        };
        let r = phone
            .post("/api/passkeys/registration/finish", &finish)
            .await;
        assert!(
            r.headers()["set-cookie"]
                .to_str()
                .expect("ascii")
                .starts_with("vigie_approver=")
        );
        ok_json::<RegisteredPasskey>(r).await;
        (phone, key)
    }

    /// The token of the « Ce n'est pas moi » link in the latest sign-in mail.
    pub async fn report_token(&self) -> String {
        let mail = self
            .outbox()
            .await
            .into_iter()
            .find(|m| m.subject.contains("nouvelle connexion"))
            .expect("sign-in mail");
        mail.body
            .split("#jeton=")
            .nth(1)
            .expect("link")
            .split_whitespace()
            .next()
            .expect("token")
            .to_owned()
    }

    /// The mail outbox, oldest first, bodies opened as the gateway opens them (the rows hold
    /// them sealed).
    pub async fn outbox(&self) -> Vec<vigie_backend::entities::mail_outbox::Model> {
        use sea_orm::{EntityTrait, QueryOrder};
        use vigie_backend::entities::mail_outbox;
        let mut mails = mail_outbox::Entity::find()
            .order_by_asc(mail_outbox::Column::CreatedAt)
            .all(&self.state.db)
            .await
            .expect("query");
        for m in &mut mails {
            if !m.body.is_empty() {
                m.body = self
                    .state
                    .vault
                    .open_text(vigie_backend::vault::MAIL_BODY, &m.body)
                    .expect("a mail body opens");
            }
        }
        mails
    }

    /// The SMS outbox, oldest first, bodies opened.
    pub async fn sms_outbox(&self) -> Vec<vigie_backend::entities::sms_outbox::Model> {
        use sea_orm::{EntityTrait, QueryOrder};
        use vigie_backend::entities::sms_outbox;
        let mut sms = sms_outbox::Entity::find()
            .order_by_asc(sms_outbox::Column::CreatedAt)
            .all(&self.state.db)
            .await
            .expect("query");
        for m in &mut sms {
            m.body = self
                .state
                .vault
                .open_text(vigie_backend::vault::SMS_BODY, &m.body)
                .expect("an SMS body opens");
        }
        sms
    }
}

/// What someone who can write to the database but holds no chain key would do: relink the audit
/// events from `from_seq` on (and the head) by plain length-prefixed SHA-256 — how the chain was
/// linked before it had a key — after `forge` has changed each one as they like.
pub async fn relink_by_plain_hashes(
    app: &TestApp,
    from_seq: i64,
    forge: impl Fn(&mut vigie_backend::entities::audit_event::Model),
) {
    use sea_orm::{
        ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
        QueryOrder,
    };
    use sha2::{Digest, Sha256};
    use vigie_backend::entities::{audit_event, audit_head};
    let db = &app.state.db;
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::Seq.gte(from_seq))
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await
        .expect("events");
    assert!(!events.is_empty(), "the audit trail holds events to forge");
    let mut prev = if from_seq <= 1 {
        "0".repeat(64)
    } else {
        events[0].prev_hash.clone()
    };
    for mut e in events {
        forge(&mut e);
        let mut h = Sha256::new();
        for part in [
            prev.as_str(),
            &e.seq.to_string(),
            &e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            e.actor.as_deref().unwrap_or(""),
            e.authority.as_deref().unwrap_or(""),
            &e.session_id.map(|s| s.to_string()).unwrap_or_default(),
            e.terminal.as_deref().unwrap_or(""),
            &e.action,
            e.subject.as_deref().unwrap_or(""),
            &e.details,
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        let link = hex::encode(h.finalize());
        let mut row = e.clone().into_active_model();
        row.action = Set(e.action.clone());
        row.prev_hash = Set(prev.clone());
        row.hash = Set(link.clone());
        row.update(db).await.expect("relinked");
        prev = link;
    }
    let mut head = audit_head::Entity::find_by_id(1)
        .one(db)
        .await
        .expect("head")
        .expect("head")
        .into_active_model();
    head.hash = Set(prev);
    head.update(db).await.expect("head relinked");
}
