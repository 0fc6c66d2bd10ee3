//! Web Push to the approver phone, end to end: a push service stand-in on loopback records what
//! the server posts; the phone's keys are made here; the body is decrypted, and the VAPID token
//! checked, by independent implementations (Python's http_ece and cryptography, through
//! `tests/support/decrypt_push.py`).

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU16, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode as AxumStatus, Uri},
    routing::post,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::{
    ecdsa::{Signature, SigningKey, signature::Signer},
    elliptic_curve::Generate,
    pkcs8::EncodePublicKey,
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;
use vigie_backend::{
    demo::{CLAIRE_BERNARD_RPPS, JEAN_MARTIN_RPPS},
    entities::{approver_device, push_subscription},
};
use vigie_shared::{
    ErrorCode,
    api::{
        approval::ApprovalCreated,
        delegation::StructureDetails,
        push::{PushKey, PushStatus},
        terminal::{EnrolledTerminalView, SignedPurpose, TerminalNonce, signed_message},
    },
};

use crate::{
    approvals::ask,
    delegation::manager,
    helpers::{Device, TestApp, api_error, national_id, ok_json},
};

/// One request the push service received.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
    /// The status the stand-in answered.
    answered: u16,
}

/// The push service stand-in: records every POST, answers with `answer` (201 unless told).
#[derive(Clone)]
struct PushService {
    received: Arc<Mutex<Vec<Received>>>,
    answer: Arc<AtomicU16>,
    /// How long it takes to answer, in milliseconds (a slow service lets the senders race).
    delay: Arc<std::sync::atomic::AtomicU64>,
    base: url::Url,
}

async fn receive(
    State(service): State<PushService>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> AxumStatus {
    let delay = service.delay.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let answered = service.answer.load(Ordering::SeqCst);
    service.received.lock().expect("lock").push(Received {
        path: uri.path().to_owned(),
        headers,
        body: body.to_vec(),
        answered,
    });
    AxumStatus::from_u16(answered).unwrap_or(AxumStatus::CREATED)
}

impl PushService {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let service = PushService {
            received: Arc::default(),
            answer: Arc::new(AtomicU16::new(201)),
            delay: Arc::default(),
            base: url::Url::parse(&format!("http://127.0.0.1:{port}")).expect("url"),
        };
        let app = Router::new()
            .route("/push/{token}", post(receive))
            .with_state(service.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        service
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// Waits (bounded) until `n` requests have arrived; returns them all.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let start = Instant::now();
        while self.received().len() < n {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "expected {n} pushes, got {}",
                self.received().len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.received()
    }
}

/// A phone's push keys, made here as a browser would: a P-256 key pair and a 16-byte secret.
struct PhoneKeys {
    private: Vec<u8>,
    public: String,
    auth: String,
    endpoint: String,
}

impl PhoneKeys {
    fn new(service: &PushService) -> Self {
        let key = SigningKey::try_generate().expect("key");
        let auth: [u8; 16] = rand::random();
        Self {
            private: key.to_bytes().to_vec(),
            public: URL_SAFE_NO_PAD.encode(key.verifying_key().to_sec1_point(false).as_bytes()),
            auth: URL_SAFE_NO_PAD.encode(auth),
            endpoint: format!("{}push/{}", service.base, Uuid::new_v4().simple()),
        }
    }

    fn subscription(&self) -> Value {
        json!({
            "endpoint": self.endpoint,
            "expirationTime": null,
            "keys": { "p256dh": self.public, "auth": self.auth },
        })
    }
}

async fn put_subscription(phone: &Device, body: &Value) -> reqwest::Response {
    phone
        .client
        .put(phone.base.join("/api/approver/push").expect("url"))
        .json(body)
        .send()
        .await
        .expect("request")
}

/// Subscribes the phone with these keys; the server takes it (204).
async fn subscribe(phone: &Device, keys: &PhoneKeys) {
    assert_eq!(
        put_subscription(phone, &keys.subscription()).await.status(),
        StatusCode::NO_CONTENT
    );
}

async fn subscribed(phone: &Device) -> bool {
    ok_json::<PushStatus>(phone.get("/api/approver/push").await)
        .await
        .subscribed
}

/// A hall tablet of the Melun centre (where Jean Martin practises), enrolled by its manager:
/// its signed requests, by day, are not atypical.
struct Tablet {
    device: Device,
    key: SigningKey,
    id: Uuid,
}

impl Tablet {
    async fn enrolled(app: &TestApp) -> Self {
        Self::enrolled_on(&manager(app).await, app.device()).await
    }

    /// Enrolled by the manager signed in on `manager`, on this browser.
    async fn enrolled_on(manager: &Device, device: Device) -> Self {
        let managed: Vec<StructureDetails> =
            ok_json(manager.get("/api/structures/managed").await).await;
        let key = SigningKey::try_generate().expect("key");
        let public = URL_SAFE_NO_PAD.encode(
            key.verifying_key()
                .to_public_key_der()
                .expect("spki")
                .as_bytes(),
        );
        let r = manager
            .post(
                &format!("/api/structures/{}/terminals", managed[0].id),
                &json!({ "name": "Tablette du hall", "public_key": public }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let enrolled: EnrolledTerminalView = ok_json(r).await;
        Self {
            device,
            key,
            id: enrolled.id,
        }
    }

    /// The same tablet talking to another instance.
    fn on(&self, base: &url::Url) -> Self {
        Self {
            device: self.device.on(base),
            key: self.key.clone(),
            id: self.id,
        }
    }

    /// This tablet's signature for `purpose` and `subject`, over a fresh nonce.
    async fn proof(&self, purpose: SignedPurpose, subject: &str) -> Value {
        let nonce: TerminalNonce = ok_json(
            self.device
                .post("/api/terminals/nonce", &json!({ "terminal_id": self.id }))
                .await,
        )
        .await;
        let signature: Signature = self
            .key
            .sign(signed_message(purpose, &nonce.nonce, subject).as_bytes());
        json!({
            "terminal_id": self.id,
            "nonce": nonce.nonce,
            "signature": URL_SAFE_NO_PAD.encode(signature.to_bytes()),
        })
    }

    /// Push sign-in for `rpps`, signed.
    async fn ask(&self, rpps: &str) -> ApprovalCreated {
        let nid = national_id(rpps).as_str().to_owned();
        let proof = self.proof(SignedPurpose::Push, &nid).await;
        ok_json(
            self.device
                .post(
                    "/api/approvals",
                    &json!({ "national_id": nid, "terminal_label": "Tablette du hall",
                        "terminal_proof": proof }),
                )
                .await,
        )
        .await
    }
}

async fn cancel(terminal: &Device, id: Uuid) {
    let r = terminal
        .post_empty(&format!("/api/approvals/{id}/cancel"))
        .await;
    assert!(r.status().is_success(), "cancel: {}", r.status());
}

fn python() -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python3");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

/// Decrypts the push and checks its VAPID token with Python (http_ece, cryptography).
fn decrypt(push: &Received, phone: &PhoneKeys, server_key: &str) -> Value {
    use std::io::Write;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/decrypt_push.py");
    let input = json!({
        "private_key": URL_SAFE_NO_PAD.encode(&phone.private),
        "auth": phone.auth,
        "body": URL_SAFE_NO_PAD.encode(&push.body),
        "authorization": push.headers["authorization"].to_str().expect("ascii"),
        "server_key": server_key,
    });
    let mut child = std::process::Command::new(python())
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/setup.sh installs http-ece)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python output");
    assert!(
        out.status.success(),
        "decrypt_push.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

async fn loopback_app() -> TestApp {
    let app = TestApp::spawn_with(|s| s.push.allow_loopback_endpoints = true).await;
    app.to_opening_hours();
    app
}

/// A sign-in request from an enrolled hall tablet, in opening hours: one POST to the phone's
/// push service, encrypted for the phone, signed with the server's VAPID key, carrying only the
/// request's id. Atypical requests (an unknown terminal, the night) push nothing.
/// With two instances on one PostgreSQL database (one on SQLite), each request is pushed once.
#[tokio::test]
async fn a_request_is_pushed_once_encrypted_for_the_phone() {
    let app = loopback_app().await;
    let instances = app.instances().await;
    let service = PushService::start().await;
    let server_key: PushKey = ok_json(app.get("/api/push/key").await).await;
    let raw_key = URL_SAFE_NO_PAD
        .decode(&server_key.public_key)
        .expect("base64url");
    assert_eq!(raw_key.len(), 65);
    assert_eq!(raw_key[0], 4, "uncompressed point");
    // Every instance signs with the same key.
    for base in &instances {
        let other: PushKey = ok_json(app.device_on(base).get("/api/push/key").await).await;
        assert_eq!(other, server_key);
    }

    let (phone, _) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    assert!(!subscribed(&phone).await);
    let keys = PhoneKeys::new(&service);
    let r = put_subscription(&phone, &keys.subscription()).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(subscribed(&phone).await);

    // An unknown terminal: atypical, nothing is pushed.
    let unknown = app.device();
    let atypical = ask(&unknown, JEAN_MARTIN_RPPS).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        service.received().len(),
        0,
        "an atypical request was pushed"
    );
    cancel(&unknown, atypical.approval_id).await;

    // Requests from the enrolled tablet, alternately through each instance.
    let tablet = Tablet::enrolled(&app).await;
    let rounds = 4;
    for round in 0..rounds {
        let tablet = tablet.on(&instances[round % instances.len()]);
        if round % 2 == 0 {
            // Three requests per identity in 10 minutes: wait out the window.
            app.clock().advance(chrono::Duration::minutes(11));
        }
        let created = tablet.ask(JEAN_MARTIN_RPPS).await;
        let asked_at = chrono::Utc::now();
        let pushes = service.wait_for(round + 1).await;
        let push = &pushes[round];
        assert_eq!(
            format!("{}{}", service.base, &push.path[1..]),
            keys.endpoint
        );
        let ttl: i64 = push.headers["ttl"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("TTL is a number");
        assert!(ttl > 0 && ttl <= 120, "TTL {ttl}");
        assert_eq!(push.headers["urgency"], "high");
        assert_eq!(push.headers["content-encoding"], "aes128gcm");

        let read = decrypt(push, &keys, &server_key.public_key);
        // Exactly the request's id: no name, place or code.
        assert_eq!(
            read["message"].as_str().expect("text"),
            format!(
                r#"{{"kind":"approval_request","approval_id":"{}"}}"#,
                created.approval_id
            )
        );
        assert!(
            !read["message"]
                .as_str()
                .unwrap_or("")
                .contains(&created.code)
        );
        let claims = &read["claims"];
        assert_eq!(claims["aud"], service.base.origin().ascii_serialization());
        let exp = claims["exp"].as_i64().expect("exp");
        assert!(
            exp > asked_at.timestamp()
                && exp <= (asked_at + chrono::Duration::hours(24)).timestamp(),
            "exp {exp}"
        );
        assert!(
            claims["sub"]
                .as_str()
                .is_some_and(|s| s.starts_with("mailto:")),
            "sub {}",
            claims["sub"]
        );
        cancel(&tablet.device, created.approval_id).await;
    }
    // Nobody sends one twice, on any instance (a second one would arrive within the poll).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(service.received().len(), rounds, "a push was sent twice");

    // At night the same tablet's request is atypical: not pushed.
    app.clock().advance(chrono::Duration::hours(13));
    let night = tablet.ask(JEAN_MARTIN_RPPS).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        service.received().len(),
        rounds,
        "a night request was pushed"
    );
    cancel(&tablet.device, night.approval_id).await;

    // Delivered pushes leave nothing in the outbox.
    let left = vigie_backend::entities::push_outbox::Entity::find()
        .all(&app.state.db)
        .await
        .expect("outbox");
    assert!(left.is_empty(), "{left:?}");
}

/// 410 Gone and 404 from the push service: the subscription is removed (the phone subscribes
/// again when it next opens the app).
#[tokio::test]
async fn a_subscription_the_push_service_forgot_is_removed() {
    let app = loopback_app().await;
    let service = PushService::start().await;
    let (phone, _) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let tablet = Tablet::enrolled(&app).await;
    for (n, answer) in [410u16, 404].into_iter().enumerate() {
        service.answer.store(answer, Ordering::SeqCst);
        let keys = PhoneKeys::new(&service);
        let r = put_subscription(&phone, &keys.subscription()).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        assert!(subscribed(&phone).await);
        let created = tablet.ask(JEAN_MARTIN_RPPS).await;
        service.wait_for(n + 1).await;
        let start = Instant::now();
        while subscribed(&phone).await {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "still subscribed after {answer}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        cancel(&tablet.device, created.approval_id).await;
    }
    // Not retried: one POST each.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(service.received().len(), 2);

    // A revoked phone is not pushed, whatever its subscription.
    service.answer.store(201, Ordering::SeqCst);
    let keys = PhoneKeys::new(&service);
    put_subscription(&phone, &keys.subscription()).await;
    approver_device::Entity::update_many()
        .col_expr(
            approver_device::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(app.state.now()),
        )
        .exec(&app.state.db)
        .await
        .expect("revoke");
    app.clock().advance(chrono::Duration::minutes(11));
    let created = tablet.ask(JEAN_MARTIN_RPPS).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(service.received().len(), 2, "a revoked phone was pushed");
    cancel(&tablet.device, created.approval_id).await;
}

/// A push service that fails (503) is retried, with backoff, while the request waits.
#[tokio::test]
async fn a_failing_push_service_is_retried() {
    let app = loopback_app().await;
    let service = PushService::start().await;
    service.answer.store(503, Ordering::SeqCst);
    let (phone, _) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let keys = PhoneKeys::new(&service);
    put_subscription(&phone, &keys.subscription()).await;
    let tablet = Tablet::enrolled(&app).await;
    let created = tablet.ask(JEAN_MARTIN_RPPS).await;
    // Retried after 1 s, then 2 s (backoff).
    let failed = service.wait_for(2).await;
    assert!(failed.iter().all(|p| p.answered == 503));
    service.answer.store(201, Ordering::SeqCst);
    // Delivered once the service is back; then never again.
    let start = Instant::now();
    while !service.received().iter().any(|p| p.answered == 201) {
        assert!(start.elapsed() < Duration::from_secs(15), "not retried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let all = service.received();
    assert_eq!(
        all.last().map(|p| p.answered),
        Some(201),
        "posted again after 201"
    );
    assert_eq!(all.iter().filter(|p| p.answered == 201).count(), 1);
    assert!(
        subscribed(&phone).await,
        "a 503 does not remove the subscription"
    );
    cancel(&tablet.device, created.approval_id).await;
}

/// Hostile subscriptions are refused with a code and a French message, never a 5xx; a phone's
/// PUT or DELETE never touches another phone's subscription.
#[tokio::test]
async fn hostile_subscriptions_are_refused() {
    let app = loopback_app().await;
    let service = PushService::start().await;
    let (phone, _) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let (other, _) = app.activated_phone(CLAIRE_BERNARD_RPPS).await;
    let keys = PhoneKeys::new(&service);
    let good = keys.subscription();
    let with = |path: &str, value: Value| {
        let mut body = good.clone();
        body.pointer_mut(path).map(|v| *v = value).expect("path");
        body
    };
    let point = URL_SAFE_NO_PAD.decode(&keys.public).expect("b64");
    let mut off_curve = point.clone();
    off_curve[64] ^= 1;
    let cases = [
        (
            "endpoint de 63 Kio",
            with(
                "/endpoint",
                json!(format!("https://push.example/{}", "a".repeat(63 * 1024))),
            ),
        ),
        (
            "endpoint de 1025 octets",
            with(
                "/endpoint",
                json!(format!("https://push.example/{}", "a".repeat(1025 - 21))),
            ),
        ),
        (
            "http distant",
            with("/endpoint", json!("http://push.example/abc")),
        ),
        (
            "adresse IP",
            with("/endpoint", json!("https://10.0.0.7/abc")),
        ),
        ("pas une URL", with("/endpoint", json!("push"))),
        (
            "javascript",
            with("/endpoint", json!("javascript:alert(1)")),
        ),
        (
            "base64 invalide",
            with("/keys/p256dh", json!("%%%not-base64%%%")),
        ),
        (
            "clé compressée",
            with("/keys/p256dh", json!(URL_SAFE_NO_PAD.encode(&point[..33]))),
        ),
        (
            "clé hors courbe",
            with("/keys/p256dh", json!(URL_SAFE_NO_PAD.encode(&off_curve))),
        ),
        (
            "clé nulle",
            with("/keys/p256dh", json!(URL_SAFE_NO_PAD.encode([0u8; 65]))),
        ),
        (
            "secret de 15 octets",
            with("/keys/auth", json!(URL_SAFE_NO_PAD.encode([7u8; 15]))),
        ),
        (
            "secret de 17 octets",
            with("/keys/auth", json!(URL_SAFE_NO_PAD.encode([7u8; 17]))),
        ),
    ];
    for (what, body) in cases {
        let r = put_subscription(&phone, &body).await;
        let e = api_error(r, StatusCode::BAD_REQUEST).await;
        assert_eq!(e.code, ErrorCode::InvalidPushSubscription, "{what}");
        assert!(!e.message.is_empty(), "{what}");
    }
    // Wrong shapes are refused by the JSON reader: 400 too.
    for body in [
        json!({ "endpoint": keys.endpoint }),
        json!({ "endpoint": 5, "keys": {} }),
    ] {
        let r = put_subscription(&phone, &body).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    // Larger than any request body: 413, still a JSON refusal.
    let huge = with(
        "/endpoint",
        json!(format!("https://push.example/{}", "a".repeat(64 * 1024))),
    );
    let r = put_subscription(&phone, &huge).await;
    assert_eq!(
        api_error(r, StatusCode::PAYLOAD_TOO_LARGE).await.code,
        ErrorCode::PayloadTooLarge
    );
    assert!(!subscribed(&phone).await);

    // Another phone's subscription is untouched by this phone's PUT and DELETE.
    let theirs = PhoneKeys::new(&service);
    subscribe(&other, &theirs).await;
    let other_row = || async {
        let id = app.professional_id(CLAIRE_BERNARD_RPPS).await;
        push_subscription::Entity::find()
            .all(&app.state.db)
            .await
            .expect("rows")
            .into_iter()
            .find(|s| s.professional_id == id)
            .expect("Claire's subscription")
    };
    let before = other_row().await;
    assert_eq!(
        put_subscription(&phone, &good).await.status(),
        StatusCode::NO_CONTENT
    );
    // Sealed at rest: neither the endpoint nor the keys appear in the row.
    assert!(before.body.starts_with("vault1."));
    assert!(!before.body.contains(&theirs.endpoint) && !before.body.contains(&theirs.public));
    let replaced = PhoneKeys::new(&service);
    subscribe(&phone, &replaced).await;
    let r = phone
        .client
        .delete(phone.base.join("/api/approver/push").expect("url"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(!subscribed(&phone).await);
    assert!(subscribed(&other).await);
    assert_eq!(other_row().await, before);

    // Without an approver cookie: 401.
    let stranger = app.device();
    let r = put_subscription(&stranger, &good).await;
    assert_eq!(
        api_error(r, StatusCode::UNAUTHORIZED).await.code,
        ErrorCode::NotApproverDevice
    );
    assert!(service.received().is_empty());
}

/// A rotation of the vault keys re-seals the subscriptions: the old key no longer opens them,
/// the new one does, and they still hold the phone's endpoint and keys.
#[tokio::test]
async fn a_key_rotation_reseals_the_subscriptions() {
    use vigie_backend::vault;
    let app = loopback_app().await;
    let service = PushService::start().await;
    let (phone, _) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let keys = PhoneKeys::new(&service);
    subscribe(&phone, &keys).await;
    let row = || async {
        push_subscription::Entity::find()
            .one(&app.state.db)
            .await
            .expect("read")
            .expect("subscription")
    };
    let before = row().await;
    let opened = app
        .state
        .vault
        .open_text(vault::PUSH_SUBSCRIPTION, &before.body)
        .expect("opens");
    assert!(opened.contains(&keys.endpoint));
    let settings = app.settings().vault.clone();
    vault::rotate_file(&settings, &app.state.db)
        .await
        .expect("rotated");
    let after = row().await;
    assert_ne!(after.body, before.body);
    assert!(
        app.state
            .vault
            .open_text(vault::PUSH_SUBSCRIPTION, &after.body)
            .is_err()
    );
    let rotated = vault::load(&settings).expect("new keys");
    assert_eq!(
        rotated
            .open_text(vault::PUSH_SUBSCRIPTION, &after.body)
            .expect("the new key opens it"),
        opened
    );
}

/// A delegation request (a signed-in staff member asking to type under Dr Martin's authority,
/// from the centre's enrolled tablet) is pushed to his phone like his own sign-in.
#[tokio::test]
async fn a_delegation_request_is_pushed_too() {
    let mut scene = crate::delegation::scene_in(loopback_app().await).await;
    let app = &scene.app;
    let service = PushService::start().await;
    let server_key: PushKey = ok_json(app.get("/api/push/key").await).await;
    let keys = PhoneKeys::new(&service);
    assert_eq!(
        put_subscription(&scene.phone, &keys.subscription())
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    ok_json::<vigie_shared::api::session::SessionState>(
        crate::delegation::staff_sign_in(app, &scene.tablet, &mut scene.tablet_key).await,
    )
    .await;
    let tablet = Tablet::enrolled_on(&scene.manager, scene.tablet.on(&scene.tablet.base)).await;
    let proof = tablet
        .proof(SignedPurpose::Delegated, &scene.jean_id.to_string())
        .await;
    let created: ApprovalCreated = ok_json(
        tablet
            .device
            .post(
                "/api/delegation/requests",
                &json!({ "professional_id": scene.jean_id, "terminal_label": "Tablette 3",
                    "terminal_proof": proof }),
            )
            .await,
    )
    .await;
    let pushes = service.wait_for(1).await;
    let read = decrypt(&pushes[0], &keys, &server_key.public_key);
    assert_eq!(
        read["message"].as_str().expect("text"),
        format!(
            r#"{{"kind":"approval_request","approval_id":"{}"}}"#,
            created.approval_id
        )
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(service.received().len(), 1);
}

/// Twenty subscribed phones of one professional, one request: twenty rows in the outbox, raced
/// for by every instance's sender (two on PostgreSQL, one on SQLite). Each phone gets exactly
/// one push: a row is claimed by one conditional UPDATE, never read then written.
#[tokio::test]
async fn every_phone_is_pushed_exactly_once_whatever_the_instances() {
    let app = loopback_app().await;
    let instances = app.instances().await;
    let service = PushService::start().await;
    let mut endpoints = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let (phone, _) = app.activated_phone(JEAN_MARTIN_RPPS).await;
        let keys = PhoneKeys::new(&service);
        subscribe(&phone, &keys).await;
        endpoints.insert(
            url::Url::parse(&keys.endpoint)
                .expect("url")
                .path()
                .to_owned(),
        );
    }
    let tablet = Tablet::enrolled(&app).await;
    let tablet = tablet.on(instances.last().expect("an instance"));
    // 100 ms an answer: one sender alone would take two seconds, so every poll meets rows.
    service.delay.store(100, Ordering::SeqCst);
    tablet.ask(JEAN_MARTIN_RPPS).await;
    service.wait_for(20).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received: Vec<String> = service.received().into_iter().map(|p| p.path).collect();
    assert_eq!(received.len(), 20, "{received:?}");
    let distinct: std::collections::BTreeSet<String> = received.into_iter().collect();
    assert_eq!(distinct, endpoints);
}

/// A phone its owner revokes in "Mes appareils" loses its subscription with it: the sealed
/// endpoint and keys (a way to reach that phone) are not kept for a phone that is gone.
#[tokio::test]
async fn revoking_a_phone_drops_its_subscription() {
    use vigie_shared::api::credentials::{CredentialKind, CredentialView};
    let app = loopback_app().await;
    let service = PushService::start().await;
    let (phone, _) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let keys = PhoneKeys::new(&service);
    subscribe(&phone, &keys).await;
    let (desk, _) = app.professional_device(JEAN_MARTIN_RPPS).await;
    let mine: Vec<CredentialView> = ok_json(desk.get("/api/credentials").await).await;
    let phones: Vec<&CredentialView> = mine
        .iter()
        // The phone activated first; the desk (which registered a passkey) is "current".
        .filter(|c| c.kind == CredentialKind::Phone && !c.current)
        .collect();
    assert_eq!(phones.len(), 1, "{mine:?}");
    let rows = || async {
        push_subscription::Entity::find()
            .filter(push_subscription::Column::DeviceId.eq(phones[0].id))
            .all(&app.state.db)
            .await
            .expect("rows")
            .len()
    };
    assert_eq!(rows().await, 1);
    let r = desk
        .client
        .delete(
            desk.base
                .join(&format!("/api/credentials/{}", phones[0].id))
                .expect("path"),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(rows().await, 0);
    let e = api_error(
        phone.get("/api/approver/push").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(e.code, vigie_shared::ErrorCode::NotApproverDevice);
}
