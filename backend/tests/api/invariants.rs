//! Limits and single-use secrets, tried the way an attacker would: 50 or more requests fired at
//! once (on PostgreSQL spread over two instances on one database) — exactly the allowed number
//! succeed, the others get the documented refusal, and the counters and the audit trail agree.

use std::{collections::BTreeMap, future::Future};

use chrono::Duration;
use reqwest::{Response, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde::Serialize;
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;
use vigie_backend::{
    approvals::limits,
    demo::{
        CENTRE_ACCOUNT_MOBILE, CENTRE_ACCOUNT_PASSWORD, CENTRE_FINESS, CLAIRE_BERNARD_RPPS,
        JEAN_MARTIN_RPPS,
    },
    entities::{
        activation, approval_request, audit_event, incident, injection, push_freeze, session,
        sms_outbox, structure_account,
    },
};
use vigie_shared::{
    ErrorCode, Rpps,
    api::{
        approval::{ApprovalChallenge, ApprovalConfirm, ApprovalCreated},
        passkey::{RegistrationChallenge, RegistrationFinish},
    },
};
use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};

use crate::{
    accounts::password_step,
    activation::{link_token, sms_code},
    helpers::{Device, TestApp, national_id, ok_json},
    vaccination::{first_dose, hall},
};

pub(crate) const N: usize = 50;

/// One answer: status and JSON body (`Null` when there is none).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

pub(crate) fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .expect("codes serialise")
        .as_str()
        .expect("a string")
        .to_owned()
}

/// Sends every request at once (each on its own task) and waits for all the answers. No
/// answer may be a server error.
pub(crate) async fn fire<F>(requests: Vec<F>) -> Vec<Answer>
where
    F: Future<Output = Response> + Send + 'static,
{
    let tasks: Vec<_> = requests.into_iter().map(tokio::spawn).collect();
    let mut answers = Vec::new();
    for task in tasks {
        let r = task.await.expect("request task");
        let status = r.status();
        let body = r.json::<Value>().await.unwrap_or(Value::Null);
        assert!(
            !status.is_server_error(),
            "no 5xx under parallel requests: {status} {body}"
        );
        answers.push(Answer { status, body });
    }
    answers
}

/// N devices post the same body at once.
async fn post_all(
    device: impl Fn(usize) -> Device,
    path: &str,
    body: impl Serialize,
) -> Vec<Answer> {
    let body = serde_json::to_value(body).expect("body serialises");
    fire(
        (0..N)
            .map(|i| {
                let (d, path, body) = (device(i), path.to_owned(), body.clone());
                async move { d.post(&path, &body).await }
            })
            .collect(),
    )
    .await
}

/// "200" or "429 rate_limited": how many answers of each kind.
pub(crate) fn tally(answers: &[Answer]) -> BTreeMap<String, usize> {
    let mut t = BTreeMap::new();
    for a in answers {
        let key = match a.body.get("code").and_then(Value::as_str) {
            Some(code) if !a.status.is_success() => format!("{} {code}", a.status.as_u16()),
            _ => a.status.as_u16().to_string(),
        };
        *t.entry(key).or_insert(0) += 1;
    }
    t
}

pub(crate) fn expect(pairs: &[(StatusCode, Option<ErrorCode>, usize)]) -> BTreeMap<String, usize> {
    pairs
        .iter()
        .filter(|(_, _, n)| *n > 0)
        .map(|(status, code, n)| {
            let key = match code {
                Some(c) => format!("{} {}", status.as_u16(), code_name(*c)),
                None => status.as_u16().to_string(),
            };
            (key, *n)
        })
        .collect()
}

async fn audit_count(app: &TestApp, action: &str, subject: Option<String>) -> u64 {
    app.sealed().await;
    let mut q = audit_event::Entity::find().filter(audit_event::Column::Action.eq(action));
    if let Some(s) = subject {
        q = q.filter(audit_event::Column::Subject.eq(s));
    }
    q.count(&app.state.db).await.expect("count")
}

async fn chain_intact(app: &TestApp) {
    app.sealed().await;
    assert!(matches!(
        vigie_backend::audit::verify(&app.state.db, &app.state.audit_key)
            .await
            .expect("verify"),
        vigie_backend::audit::Verdict::Intact { .. }
    ));
}

/// N posts to `path` at once, the i-th with `body(i)`, spread over the instances round robin,
/// all with the same client (its cookies).
pub(crate) async fn post_spread(
    client: &reqwest::Client,
    urls: &[Url],
    path: &str,
    body: impl Fn(usize) -> Value,
) -> Vec<Answer> {
    fire(
        (0..N)
            .map(|i| {
                let url = pick(urls, i).join(path).expect("url");
                let (client, body) = (client.clone(), body(i));
                async move { client.post(url).json(&body).send().await.expect("request") }
            })
            .collect(),
    )
    .await
}

/// The i-th of the instances, round robin.
pub(crate) fn pick(urls: &[Url], i: usize) -> &Url {
    &urls[i % urls.len()]
}

fn rpps(i: usize) -> Rpps {
    let body = format!("{:010}", 3_000_000_000usize + i);
    (0..10)
        .find_map(|k| Rpps::parse(&format!("{body}{k}")).ok())
        .expect("one key fits")
}

/// N terminals (fresh cookie jars) ask for push sign-in at once; returns them with the answers.
async fn ask_all(
    app: &TestApp,
    urls: &[Url],
    identity: impl Fn(usize) -> String,
) -> (Vec<Device>, Vec<Answer>) {
    let terminals: Vec<Device> = (0..N).map(|i| app.device_on(pick(urls, i))).collect();
    let requests = terminals
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let t = t.on(&t.base);
            let body =
                json!({ "national_id": identity(i), "terminal_label": format!("Tablette {i}") });
            async move { t.post("/api/approvals", &body).await }
        })
        .collect();
    let answers = fire(requests).await;
    (terminals, answers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn push_requests_for_one_identity_one_pending_three_per_ten_minutes_ten_per_hour() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let id = national_id(JEAN_MARTIN_RPPS).as_str().to_owned();
    let mut granted = 0;
    // Windows 11 minutes apart: 3 + 3 + 3, then the hour's 10th, then nothing.
    for expected in [3, 6, 9, 10, 10] {
        loop {
            let (terminals, answers) = ask_all(&app, &urls, |_| id.clone()).await;
            let won: Vec<usize> = (0..N).filter(|&i| answers[i].status.is_success()).collect();
            let t = tally(&answers);
            assert!(won.len() <= 1, "one pending request at most: {t:?}");
            assert_eq!(
                t.get(&format!("429 {}", code_name(ErrorCode::RateLimited))),
                Some(&(N - won.len())),
                "every other request is refused as rate limited: {t:?}"
            );
            let Some(&w) = won.first() else { break };
            granted += 1;
            let created: ApprovalCreated =
                serde_json::from_value(answers[w].body.clone()).expect("created");
            assert_eq!(created.code.len(), 6);
            let r = terminals[w]
                .post_empty(&format!("/api/approvals/{}/cancel", created.approval_id))
                .await;
            assert!(
                r.status().is_success(),
                "the terminal cancels its own request"
            );
        }
        assert_eq!(granted, expected);
        app.clock().advance(Duration::minutes(11));
    }
    let rows = approval_request::Entity::find()
        .filter(approval_request::Column::NationalId.eq(id.as_str()))
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(
        rows, 10,
        "ten requests in an hour, whatever the parallelism"
    );
    assert_eq!(audit_count(&app, "approval.requested", None).await, 10);
    chain_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_asking_for_many_identities_gets_its_cap_exactly() {
    let app = TestApp::spawn_with(|s| s.push_requests_per_ip_per_10_min = 5).await;
    let urls = app.instances().await;
    let (_, answers) = ask_all(&app, &urls, |i| rpps(i).national_id().as_str().to_owned()).await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, 5),
            (
                StatusCode::TOO_MANY_REQUESTS,
                Some(ErrorCode::RateLimited),
                N - 5
            ),
        ])
    );
    let rows = approval_request::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(rows, 5);
}

/// A terminal's request for Jean Martin, whose phone is activated.
async fn pending_request(app: &TestApp) -> (Device, SoftPasskey, Device, ApprovalCreated) {
    let (phone, key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let terminal = app.device();
    let created: ApprovalCreated = ok_json(
        terminal
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS), "terminal_label": "Tablette 3" }),
            )
            .await,
    )
    .await;
    (phone, key, terminal, created)
}

fn wrong(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_codes_on_the_phone_get_three_checks_then_the_request_is_refused() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let (phone, _key, _terminal, created) = pending_request(&app).await;
    let id = created.approval_id;
    let guess = wrong(&created.code);
    let answers = post_all(
        |i| phone.on(pick(&urls, i)),
        &format!("/api/approver/requests/{id}/code"),
        json!({ "code": guess }),
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::BAD_REQUEST, Some(ErrorCode::WrongCode), 3),
            (StatusCode::CONFLICT, Some(ErrorCode::RequestClosed), N - 3),
        ])
    );
    // The right code comes too late.
    let r = phone
        .post(
            &format!("/api/approver/requests/{id}/code"),
            &json!({ "code": created.code }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let row = approval_request::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!((row.code_attempts, row.status.as_str()), (3, "refused"));
    assert_eq!(
        audit_count(&app, "approval.wrong_code", Some(id.to_string())).await,
        3
    );
    assert_eq!(
        audit_count(&app, "approval.refused", Some(id.to_string())).await,
        1
    );
    chain_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_approved_request_opens_one_session_whatever_the_parallel_claims() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let (phone, mut key, terminal, created) = pending_request(&app).await;
    let id = created.approval_id;
    let challenge: ApprovalChallenge = ok_json(
        phone
            .post(
                &format!("/api/approver/requests/{id}/code"),
                &json!({ "code": created.code }),
            )
            .await,
    )
    .await;
    let credential = key
        .do_authentication(app.base.clone(), challenge.options)
        .expect("phone signs");
    let confirm = ApprovalConfirm {
        ceremony_id: challenge.ceremony_id,
        credential,
    };
    // The approval's ceremony, answered 50 times at once: one approval.
    let answers = fire(
        (0..N)
            .map(|i| {
                let p = phone.on(pick(&urls, i));
                let body = confirm.clone();
                async move {
                    p.post(&format!("/api/approver/requests/{id}/approve"), &body)
                        .await
                }
            })
            .collect(),
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, 1),
            (
                StatusCode::BAD_REQUEST,
                Some(ErrorCode::CeremonyExpired),
                N - 1
            ),
        ])
    );
    assert_eq!(
        audit_count(&app, "approval.approved", Some(id.to_string())).await,
        1
    );
    // The terminal claims its session 50 times at once: one session.
    let answers = fire(
        (0..N)
            .map(|i| {
                let t = terminal.on(pick(&urls, i));
                async move { t.post_empty(&format!("/api/approvals/{id}/session")).await }
            })
            .collect(),
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, 1),
            (StatusCode::CONFLICT, Some(ErrorCode::RequestClosed), N - 1),
        ])
    );
    let sessions = session::Entity::find()
        .filter(session::Column::Method.eq("push"))
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(sessions, 1);
    chain_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_push_freeze_counter_counts_every_parallel_failure() {
    let app = TestApp::spawn().await;
    let id = national_id(JEAN_MARTIN_RPPS).as_str().to_owned();
    // Each failure in its own plain transaction, all at once: none may be lost.
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let db = app.state.db.clone();
            let now = app.state.now();
            let id = id.clone();
            tokio::spawn(async move {
                let txn = db.begin().await.expect("begin");
                let frozen = limits::record_failure(&txn, now, &id, limits::Failure::Refused)
                    .await
                    .expect("counted");
                txn.commit().await.expect("commit");
                frozen.is_some()
            })
        })
        .collect();
    let mut freezes = 0;
    for t in tasks {
        freezes += usize::from(t.await.expect("task"));
    }
    let row = push_freeze::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!(freezes, N / 5, "one freeze every five failures");
    assert_eq!((row.level, row.consecutive_failures), ((N / 5) as i32, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_sms_codes_get_five_checks_then_the_sign_in_ends() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let device = app.device();
    let r = password_step(&device, CENTRE_ACCOUNT_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let code = app.last_sms_code(CENTRE_ACCOUNT_MOBILE).await;
    let guess = wrong(&code);
    let answers = fire(
        (0..60)
            .map(|i| {
                let d = device.on(pick(&urls, i));
                async move {
                    d.post("/api/accounts/second-factor", &json!({ "code": guess }))
                        .await
                }
            })
            .collect(),
    )
    .await;
    let t = tally(&answers);
    assert_eq!(
        t.get(&format!("400 {}", code_name(ErrorCode::WrongCode))),
        Some(&4),
        "four wrong codes answered as such: {t:?}"
    );
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::UNAUTHORIZED)
            .count(),
        56,
        "the fifth ends the sign-in; every later try is refused: {t:?}"
    );
    // The right code, now, opens nothing.
    let r = device
        .post("/api/accounts/second-factor", &json!({ "code": code }))
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let row = session::Entity::find()
        .filter(session::Column::AccountId.is_not_null())
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("session");
    assert_eq!(row.factor_attempts, 5);
    assert!(row.ended_at.is_some());
    assert_eq!(
        audit_count(&app, "account.second_factor_wrong_code", None).await,
        4
    );
    assert_eq!(
        audit_count(&app, "account.second_factor_failed", None).await,
        1
    );
    chain_intact(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_lock_the_account_once() {
    // The address's own cap (below) out of the way: this one is about the account's lock.
    let app = TestApp::spawn_with(|s| s.account_sign_ins_per_ip_per_hour = 1000).await;
    let urls = app.instances().await;
    let answers = fire(
        (0..N)
            .map(|i| {
                let d = app.device_on(pick(&urls, i));
                async move { password_step(&d, "pas le bon mot de passe 123").await }
            })
            .collect(),
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[(
            StatusCode::UNAUTHORIZED,
            Some(ErrorCode::InvalidCredentials),
            N
        )])
    );
    let account = structure_account::Entity::find()
        .filter(structure_account::Column::Identifier.eq(CENTRE_FINESS))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("account");
    assert!(account.locked_until.is_some_and(|u| u > app.state.now()));
    assert_eq!(account.failed_attempts, 0);
    assert_eq!(audit_count(&app, "account.sign_in_failed", None).await, 4);
    assert_eq!(audit_count(&app, "account.locked", None).await, 1);
    assert_eq!(
        audit_count(&app, "account.sign_in_refused_locked", None).await,
        (N - 5) as u64
    );
    // Locked: the right password is refused too, until the lock ends.
    let r = password_step(&app.device(), CENTRE_ACCOUNT_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.clock().advance(Duration::minutes(16));
    let r = password_step(&app.device(), CENTRE_ACCOUNT_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    chain_intact(&app).await;
}

/// N posts to `path` at once, each from a device of its own on the instances round robin, all
/// naming `client` in `X-Forwarded-For` (the app trusts the loopback proxy); the i-th with
/// `body(i)`.
async fn post_from(
    app: &TestApp,
    urls: &[Url],
    client: &str,
    path: &str,
    body: impl Fn(usize) -> Value,
) -> Vec<Answer> {
    fire(
        (0..N)
            .map(|i| {
                let url = pick(urls, i).join(path).expect("url");
                let (device, client, body) = (app.device(), client.to_owned(), body(i));
                async move {
                    device
                        .client
                        .post(url)
                        .header("x-forwarded-for", client)
                        .json(&body)
                        .send()
                        .await
                        .expect("request")
                }
            })
            .collect(),
    )
    .await
}

/// One request to `path` naming `client` in `X-Forwarded-For`: its status and error code.
async fn post_once_from(app: &TestApp, client: &str, path: &str, body: Value) -> Answer {
    let r = app
        .device()
        .client
        .post(app.url(path))
        .header("x-forwarded-for", client)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = r.status();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    Answer { status, body }
}

/// The loopback proxy trusted: each test client named by `X-Forwarded-For` has its own caps.
fn behind_the_loopback_proxy(s: &mut vigie_backend::Settings) {
    s.trusted_proxies = vec!["127.0.0.0/8".parse().expect("net")];
}

/// Password spraying: one address trying a wrong password at 50 accounts at once (on
/// PostgreSQL, across both instances) gets exactly its hourly cap of tries checked — each
/// answered as any wrong password — and 429 for the rest; a right password is refused as well
/// past the cap; another address is not concerned; the next hour the first may try again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_gets_its_account_sign_in_cap_exactly_whatever_the_accounts_named() {
    const CAP: usize = 5;
    let app = TestApp::spawn_with(|s| {
        s.account_sign_ins_per_ip_per_hour = CAP as i32;
        behind_the_loopback_proxy(s);
    })
    .await;
    let urls = app.instances().await;
    let wrong_password = |i: usize| {
        let identifier = format!("{:09}", 100_000_001 + i);
        json!({ "identifier": identifier, "password": "pas le bon mot de passe 123" })
    };
    let answers = post_from(
        &app,
        &urls,
        "203.0.113.1",
        "/api/accounts/sign-in",
        wrong_password,
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (
                StatusCode::UNAUTHORIZED,
                Some(ErrorCode::InvalidCredentials),
                CAP
            ),
            (
                StatusCode::TOO_MANY_REQUESTS,
                Some(ErrorCode::RateLimited),
                N - CAP
            ),
        ])
    );
    let refused = answers
        .iter()
        .find(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .expect("a refusal");
    assert!(
        refused.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("depuis cette adresse")),
        "{}",
        refused.body
    );
    let right = json!({ "identifier": CENTRE_FINESS, "password": CENTRE_ACCOUNT_PASSWORD });
    let from = |client: &'static str, body: Value| {
        let app = &app;
        async move {
            post_once_from(app, client, "/api/accounts/sign-in", body)
                .await
                .status
        }
    };
    assert_eq!(
        from("203.0.113.1", right.clone()).await,
        StatusCode::TOO_MANY_REQUESTS,
        "past the cap, the right password is refused too"
    );
    assert_eq!(
        from("203.0.113.2", wrong_password(0)).await,
        StatusCode::UNAUTHORIZED,
        "another address has its own cap"
    );
    app.clock().advance(Duration::minutes(59));
    assert_eq!(
        from("203.0.113.1", right.clone()).await,
        StatusCode::TOO_MANY_REQUESTS,
        "59 minutes later"
    );
    app.clock().advance(Duration::minutes(2));
    assert_eq!(
        from("203.0.113.1", right).await,
        StatusCode::OK,
        "61 minutes later"
    );
}

/// The public certificate check: one address gets exactly its hourly cap of checks (on
/// PostgreSQL, across both instances) — an unreadable payload answered 400 as ever — and 429
/// for the rest; another address is not concerned; the next hour the first may check again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_gets_its_certificate_check_cap_exactly() {
    const CAP: usize = 5;
    let app = TestApp::spawn_with(|s| {
        s.certificate_checks_per_ip_per_hour = CAP as i32;
        behind_the_loopback_proxy(s);
    })
    .await;
    let urls = app.instances().await;
    let check = |i: usize| json!({ "payload": format!("HC1:pas un certificat {i}") });
    let answers = post_from(
        &app,
        &urls,
        "203.0.113.1",
        "/api/certificates/verify",
        check,
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::BAD_REQUEST, Some(ErrorCode::InvalidInput), CAP),
            (
                StatusCode::TOO_MANY_REQUESTS,
                Some(ErrorCode::RateLimited),
                N - CAP
            ),
        ])
    );
    let from = |client: &'static str| {
        let app = &app;
        async move {
            post_once_from(app, client, "/api/certificates/verify", check(0))
                .await
                .status
        }
    };
    assert_eq!(
        from("203.0.113.2").await,
        StatusCode::BAD_REQUEST,
        "another address has its own cap"
    );
    app.clock().advance(Duration::minutes(59));
    assert_eq!(from("203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
    app.clock().advance(Duration::minutes(2));
    assert_eq!(from("203.0.113.1").await, StatusCode::BAD_REQUEST);
}

async fn verify_all(app: &TestApp, urls: &[Url], token: &str, code: &str) -> Vec<Answer> {
    post_all(
        |i| app.device_on(pick(urls, i)),
        "/api/activation/verify",
        json!({ "link_token": token, "sms_code": code }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_activation_codes_get_five_checks() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let (token, code) = activation_secrets(&app).await;
    let answers = verify_all(&app, &urls, &token, wrong(&code)).await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::BAD_REQUEST, Some(ErrorCode::WrongCode), 5),
            (
                StatusCode::BAD_REQUEST,
                Some(ErrorCode::EnrolmentInvalid),
                N - 5
            ),
        ])
    );
    let answers = verify_all(&app, &urls, &token, &code).await;
    assert_eq!(
        tally(&answers),
        expect(&[(
            StatusCode::BAD_REQUEST,
            Some(ErrorCode::EnrolmentInvalid),
            N
        )])
    );
    let row = activation::Entity::find()
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("activation");
    assert_eq!((row.attempts, row.used_at), (5, None));
    assert_eq!(audit_count(&app, "activation.wrong_code", None).await, 5);
    assert_eq!(audit_count(&app, "activation.verified", None).await, 0);
}

/// Starts an activation for Jean Martin; returns its link token and SMS code (the new mail
/// and SMS, whatever else the outboxes hold and whatever the clock says about their order).
async fn activation_secrets(app: &TestApp) -> (String, String) {
    let (mails, sms) = (app.outbox().await, app.sms_outbox().await);
    let r = app
        .device()
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
        .find(|m| !mails.iter().any(|o| o.id == m.id))
        .expect("a new activation mail");
    let text = app
        .sms_outbox()
        .await
        .into_iter()
        .find(|m| !sms.iter().any(|o| o.id == m.id))
        .expect("a new SMS");
    (link_token(&mail.body), sms_code(&text.body))
}

/// Wrong activation codes count per identity across its activations: three activations (the
/// hour's limit) would give 15 checks, the identity gets 10 a day. The tenth opens one incident
/// and mails the professional; then even the right code is refused (429) until the day is over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_activation_codes_get_ten_checks_an_identity_a_day() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let mut secrets = Vec::new();
    for _ in 0..3 {
        secrets.push(activation_secrets(&app).await);
    }
    let answers = fire(
        (0..N)
            .map(|i| {
                let d = app.device_on(pick(&urls, i));
                let (token, code) = &secrets[i % secrets.len()];
                let body = json!({ "link_token": token, "sms_code": wrong(code) });
                async move { d.post("/api/activation/verify", &body).await }
            })
            .collect(),
    )
    .await;
    let mut t = tally(&answers);
    // Ten checked (the audit trail below): nine told wrong, the tenth told the day is spent.
    assert_eq!(t.remove("400 wrong_code"), Some(9));
    // The rest: the identity's day is spent (429), or an activation's own five were (400).
    let limited = t.remove("429 rate_limited").unwrap_or(0);
    let spent = t.remove("400 enrolment_invalid").unwrap_or(0);
    assert!(t.is_empty(), "no other answer: {t:?}");
    assert_eq!(limited + spent, N - 9);
    assert!(limited > 0);
    for (token, code) in &secrets {
        let r = app
            .device()
            .post(
                "/api/activation/verify",
                &json!({ "link_token": token, "sms_code": code }),
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "not even the right code"
        );
    }
    let professional = app.professional_id(JEAN_MARTIN_RPPS).await;
    let incidents = incident::Entity::find()
        .filter(incident::Column::ProfessionalId.eq(professional))
        .all(&app.state.db)
        .await
        .expect("query");
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].kind, "activation_code_brute_force");
    let mails: Vec<_> = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.subject.contains("codes SMS erronés"))
        .collect();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].recipient, "jean.martin@demo.vigie.example");
    assert_eq!(audit_count(&app, "activation.wrong_code", None).await, 10);
    assert_eq!(audit_count(&app, "activation.verified", None).await, 0);
    chain_intact(&app).await;

    // A day later the identity may activate again.
    app.clock()
        .advance(Duration::days(1) + Duration::minutes(1));
    let (token, code) = activation_secrets(&app).await;
    let r = app
        .device()
        .post(
            "/api/activation/verify",
            &json!({ "link_token": token, "sms_code": code }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_activation_link_and_code_are_used_once_whatever_the_parallel_tries() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let (token, code) = activation_secrets(&app).await;
    let answers = verify_all(&app, &urls, &token, &code).await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, 1),
            (
                StatusCode::BAD_REQUEST,
                Some(ErrorCode::EnrolmentInvalid),
                N - 1
            ),
        ])
    );
    let granted = answers.iter().find(|a| a.status.is_success()).expect("one");
    assert!(
        granted.body["enrolment_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 22),
        "the answer carries an enrolment token"
    );
    assert_eq!(audit_count(&app, "activation.verified", None).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_activation_starts_send_three_messages_an_hour() {
    // The address's own cap (below) out of the way: this one is about the identity's.
    let app = TestApp::spawn_with(|s| s.activations_per_ip_per_hour = 1000).await;
    let urls = app.instances().await;
    let answers = post_all(
        |i| app.device_on(pick(&urls, i)),
        "/api/activation",
        json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
    )
    .await;
    // The same answer to all: an attacker cannot tell when the limit was reached.
    assert_eq!(tally(&answers), expect(&[(StatusCode::OK, None, N)]));
    let sms = sms_outbox::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    let rows = activation::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!((sms, rows), (3, 3));
    assert_eq!(audit_count(&app, "activation.started", None).await, 3);
}

/// One address asking for activations, whoever they name: exactly its hourly cap is served,
/// the rest refused with 429 (on PostgreSQL, across both instances), and the next hour it may
/// ask again (the hour tested on both sides).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_gets_its_activation_cap_exactly_whatever_the_parallel_starts() {
    const CAP: usize = 30;
    let app = TestApp::spawn_with(|s| s.activations_per_ip_per_hour = CAP as i32).await;
    let urls = app.instances().await;
    let answers = post_all(
        |i| app.device_on(pick(&urls, i)),
        "/api/activation",
        json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, CAP),
            (
                StatusCode::TOO_MANY_REQUESTS,
                Some(ErrorCode::RateLimited),
                N - CAP
            ),
        ])
    );
    let refused = answers
        .iter()
        .find(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .expect("a refusal");
    assert!(
        refused.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("depuis cette adresse")),
        "{}",
        refused.body
    );
    // The identity's own limit still holds among those served: three messages.
    let sms = sms_outbox::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(sms, 3);
    let again = || async {
        app.device()
            .post(
                "/api/activation",
                &json!({ "national_id": national_id(CLAIRE_BERNARD_RPPS) }),
            )
            .await
            .status()
    };
    app.clock().advance(Duration::minutes(59));
    assert_eq!(again().await, StatusCode::TOO_MANY_REQUESTS);
    app.clock()
        .advance(Duration::minutes(1) + Duration::seconds(1));
    assert_eq!(again().await, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_enrolment_token_creates_one_passkey_whatever_the_parallel_ceremonies() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let token = app.enrolment_token(JEAN_MARTIN_RPPS).await;
    // 50 phones each start a ceremony with the same token, then all finish at once.
    let mut finishes = Vec::new();
    for i in 0..N {
        let phone = app.device_on(pick(&urls, i));
        let challenge: RegistrationChallenge = ok_json(
            phone
                .post(
                    "/api/passkeys/registration/start",
                    &json!({ "enrolment_token": token }),
                )
                .await,
        )
        .await;
        let credential = SoftPasskey::new(true)
            .do_registration(app.base.clone(), challenge.options)
            .expect("registers");
        let body = RegistrationFinish {
            ceremony_id: challenge.ceremony_id,
            credential,
            label: Some(format!("Téléphone {i}")),
        };
        finishes.push(async move { phone.post("/api/passkeys/registration/finish", &body).await });
    }
    let answers = fire(finishes).await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, 1),
            (
                StatusCode::BAD_REQUEST,
                Some(ErrorCode::EnrolmentInvalid),
                N - 1
            ),
        ])
    );
    let passkeys = vigie_backend::entities::credential::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(passkeys, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_ceremony_is_answered_once_whatever_the_parallel_replays() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let body = app
        .signed_challenge(&app.client, JEAN_MARTIN_RPPS, &mut key)
        .await;
    let answers = post_all(
        |i| app.device_on(pick(&urls, i)),
        "/api/passkeys/authentication/finish",
        &body,
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, 1),
            (
                StatusCode::BAD_REQUEST,
                Some(ErrorCode::CeremonyExpired),
                N - 1
            ),
        ])
    );
    let sessions = session::Entity::find()
        .filter(session::Column::Method.eq("passkey"))
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(sessions, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_mail_report_link_acts_once_whatever_the_parallel_clicks() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    let token = app.report_token().await;
    let answers = post_all(
        |i| app.device_on(pick(&urls, i)),
        "/api/sessions/report",
        json!({ "token": token }),
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::NO_CONTENT, None, 1),
            (StatusCode::NOT_FOUND, Some(ErrorCode::NotFound), N - 1),
        ])
    );
    let incidents = incident::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(incidents, 1);
    assert_eq!(audit_count(&app, "session.reported", None).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_sent_fifty_times_at_once_writes_one_act() {
    let h = hall().await;
    let urls = h.app.instances().await;
    let body = first_dose(&h, Uuid::new_v4());
    let answers = post_spread(&h.app.client, &urls, "/api/vaccinations", |_| body.clone()).await;
    assert_eq!(tally(&answers), expect(&[(StatusCode::OK, None, N)]));
    assert!(
        answers.iter().all(|a| a.body == answers[0].body),
        "every retry gets the first answer"
    );
    let injections = injection::Entity::find()
        .count(&h.app.state.db)
        .await
        .expect("count");
    assert_eq!(injections, 1);
    assert_eq!(audit_count(&h.app, "vaccination.recorded", None).await, 1);
    chain_intact(&h.app).await;
}

/// A valid NIR for a woman born in August 1955 (as the hall's patients), the i-th of a series.
pub(crate) fn nir(i: usize) -> String {
    let body = format!("2550814168{:03}", i % 1000);
    let n: u64 = body.parse().expect("digits");
    format!("{body}{:02}", 97 - n % 97)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_writes_roll_back_alone_and_the_others_of_their_batch_commit() {
    let h = hall().await;
    let urls = h.app.instances().await;
    // A lot of the structure, withdrawn: known before the batch, refused by the insert in it.
    let withdrawn = {
        use sea_orm::ActiveModelTrait;
        use sea_orm::ActiveValue::Set;
        let lot = vigie_backend::entities::vaccine_lot::Entity::find_by_id(h.lot.id)
            .one(&h.app.state.db)
            .await
            .expect("query")
            .expect("lot");
        let id = Uuid::new_v4();
        vigie_backend::entities::vaccine_lot::ActiveModel {
            id: Set(id),
            number: Set("RETIRE1".into()),
            active: Set(false),
            ..sea_orm::IntoActiveModel::into_active_model(lot)
        }
        .insert(&h.app.state.db)
        .await
        .expect("withdrawn lot");
        id
    };
    let before = h.app.state.writer.as_ref().map(|w| w.counts());
    let answers = post_spread(&h.app.client, &urls, "/api/vaccinations", |i| {
        let mut body = first_dose(&h, Uuid::new_v4());
        body["patient"]["nir"] = json!(nir(i + 1));
        if i % 2 == 0 {
            // A withdrawn lot: refused as unusable, inside the batch.
            body["injection"]["lot_id"] = json!(withdrawn);
        }
        body
    })
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, N / 2),
            (StatusCode::BAD_REQUEST, Some(ErrorCode::LotUnusable), N / 2),
        ])
    );
    let injections = injection::Entity::find()
        .count(&h.app.state.db)
        .await
        .expect("count");
    let patients = vigie_backend::entities::patient::Entity::find()
        .count(&h.app.state.db)
        .await
        .expect("count");
    assert_eq!(
        (injections, patients),
        ((N / 2) as u64, (N / 2) as u64),
        "no partial row"
    );
    assert_eq!(
        audit_count(&h.app, "vaccination.recorded", None).await,
        (N / 2) as u64
    );
    if let (Some(writer), Some((b0, w0))) = (&h.app.state.writer, before) {
        let (b1, w1) = writer.counts();
        // Each request's session touch goes through the writer too.
        assert!(w1 - w0 >= N as u64, "every write went through the batches");
        assert!(
            b1 - b0 < w1 - w0,
            "writes arriving together share a batch: {} batches",
            b1 - b0
        );
    }
    chain_intact(&h.app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_that_panics_fails_alone_and_writes_go_on() {
    use vigie_backend::work::{Actor, Subject, write};
    let app = TestApp::spawn().await;
    let state = app.state.clone();
    let doomed = {
        let state = state.clone();
        tokio::spawn(async move {
            write(&state, Actor::anonymous(), |work| {
                Box::pin(async move {
                    guard_row(work.db(), "doomed", work.now()).await;
                    panic!("a bug in a write");
                })
            })
            .await
        })
    };
    // On SQLite the writer answers with an error; elsewhere the panic stays in its own task.
    assert!(!matches!(doomed.await, Ok(Ok(()))));
    let id = Uuid::new_v4();
    write(&state, Actor::anonymous(), move |work| {
        Box::pin(async move {
            work.guard(Subject::Activation(id)).await?;
            guard_row(work.db(), &id.to_string(), work.now()).await;
            Ok(())
        })
    })
    .await
    .expect("the next write goes through");
    let guards = vigie_backend::entities::write_guard::Entity::find()
        .filter(vigie_backend::entities::write_guard::Column::Key.eq("doomed"))
        .count(&state.db)
        .await
        .expect("count");
    assert_eq!(guards, 0, "the panicking write left nothing");
    let guards = vigie_backend::entities::write_guard::Entity::find()
        .filter(vigie_backend::entities::write_guard::Column::Key.eq(id.to_string()))
        .count(&state.db)
        .await
        .expect("count");
    assert_eq!(guards, 1, "the next write is kept");
}

/// A row the test can look for afterwards (the guard table is plain rows).
async fn guard_row(
    db: &impl sea_orm::ConnectionTrait,
    key: &str,
    at: chrono::DateTime<chrono::Utc>,
) {
    use sea_orm::ActiveValue::Set;
    vigie_backend::entities::write_guard::Entity::insert(
        vigie_backend::entities::write_guard::ActiveModel {
            key: Set(key.to_owned()),
            touched_at: Set(at),
        },
    )
    .exec_without_returning(db)
    .await
    .expect("row");
}

#[tokio::test]
async fn subject_locks_are_swept_after_a_day_not_before() {
    use vigie_backend::{entities::write_guard, work};
    let app = TestApp::spawn().await;
    let r = app
        .device()
        .post(
            "/api/approvals",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS), "terminal_label": "Tablette 3" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let count = || async {
        write_guard::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count")
    };
    // PostgreSQL locks the identity's and the address's rows; SQLite's one writer needs none.
    let postgres = app.state.db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let locks = if postgres { 2 } else { 0 };
    assert_eq!(
        count().await,
        locks,
        "the identity's and the address's locks"
    );
    guard_row(&app.state.db, "another", app.state.now()).await;
    app.clock().advance(work::GUARD_KEPT - Duration::minutes(1));
    assert_eq!(work::sweep_guards(&app.state).await.expect("sweep"), 0);
    app.clock().advance(Duration::minutes(2));
    assert_eq!(
        work::sweep_guards(&app.state).await.expect("sweep"),
        locks + 1
    );
    assert_eq!(count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_lot_registered_fifty_times_at_once_exists_once() {
    let h = hall().await;
    let urls = h.app.instances().await;
    let path = format!("/api/structures/{}/lots", h.structure_id);
    let expires_on = h.app.state.now().date_naive() + Duration::days(100);
    let body = json!({ "product_code": "comirnaty", "number": "PAR-0050", "expires_on": expires_on, "doses_received": 100000 });
    let answers = post_spread(&h.app.client, &urls, &path, |_| body.clone()).await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, 1),
            (StatusCode::CONFLICT, Some(ErrorCode::Conflict), N - 1),
        ])
    );
    let created = answers
        .iter()
        .find(|a| a.status.is_success())
        .expect("one success");
    assert_eq!(created.body["number"], "PAR-0050");
    assert_eq!(created.body["active"], true);
    let rows = vigie_backend::entities::vaccine_lot::Entity::find()
        .filter(vigie_backend::entities::vaccine_lot::Column::Number.eq("PAR-0050"))
        .count(&h.app.state.db)
        .await
        .expect("count");
    assert_eq!(rows, 1);
    assert_eq!(
        audit_count(
            &h.app,
            "lot.created",
            created.body["id"].as_str().map(str::to_owned)
        )
        .await,
        1
    );
    // The lot registered by the hall itself is still there, untouched.
    assert_eq!(audit_count(&h.app, "lot.created", None).await, 2);
    chain_intact(&h.app).await;
}

/// The centre's account row.
async fn centre_account(app: &TestApp) -> structure_account::Model {
    structure_account::Entity::find()
        .filter(structure_account::Column::Identifier.eq(CENTRE_FINESS))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("account")
}

/// The answer to an SMS code typed on `device`.
async fn code_answer(device: &Device, code: &str) -> Response {
    device
        .post("/api/accounts/second-factor", &json!({ "code": code }))
        .await
}

/// A password sign-in waiting for its SMS code: the device and the code.
async fn waiting_for_code(app: &TestApp) -> (Device, String) {
    let d = app.device();
    let r = password_step(&d, CENTRE_ACCOUNT_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let code = app.last_sms_code(CENTRE_ACCOUNT_MOBILE).await;
    (d, code)
}

/// Each sign-in brings 5 tries for its session, but the account gets 10 wrong codes a day in
/// all: 50 wrong codes at once over four sign-ins count exactly 10, then the account is locked,
/// its owner mailed, an incident opened, and no sign-in of it goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_account_gets_ten_wrong_sms_codes_a_day_whatever_the_parallel_sessions() {
    let app = TestApp::spawn().await;
    let urls = app.instances().await;
    let mut sessions = Vec::new();
    for _ in 0..4 {
        sessions.push(waiting_for_code(&app).await);
    }
    let answers = fire(
        (0..N)
            .map(|i| {
                let (d, code) = &sessions[i % sessions.len()];
                let d = d.on(pick(&urls, i));
                let guess = wrong(code);
                async move { code_answer(&d, guess).await }
            })
            .collect(),
    )
    .await;
    assert!(answers.iter().all(|a| a.status.is_client_error()));
    let account = centre_account(&app).await;
    assert_eq!(account.factor_failures, 10, "exactly ten codes checked");
    assert!(account.locked_until.is_some_and(|u| u > app.state.now()));
    assert_eq!(
        audit_count(&app, "account.second_factor_locked", None).await,
        1
    );
    let open = session::Entity::find()
        .filter(session::Column::AccountId.eq(account.id))
        .filter(session::Column::EndedAt.is_null())
        .count(&app.state.db)
        .await
        .expect("query");
    assert_eq!(open, 0, "every sign-in waiting for a code has ended");
    // Not even the right code, nor the right password, opens anything now.
    for (d, code) in &sessions {
        let r = code_answer(d, code).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = password_step(&app.device(), CENTRE_ACCOUNT_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let mails: Vec<_> = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.subject.contains("compte bloqué"))
        .collect();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].recipient, account.email);
    let incidents = incident::Entity::find()
        .filter(incident::Column::AccountId.eq(account.id))
        .all(&app.state.db)
        .await
        .expect("query");
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].kind, "second_factor_brute_force");
    chain_intact(&app).await;
}

/// Both sides of the bound: nine wrong codes over two sign-ins, and the right code still opens
/// the session; the tenth wrong code locks the account for a day, and a day later it signs in.
#[tokio::test]
async fn the_tenth_wrong_sms_code_of_the_day_locks_the_account_not_the_ninth() {
    let app = TestApp::spawn().await;
    let (first, code) = waiting_for_code(&app).await;
    for _ in 0..4 {
        let r = code_answer(&first, wrong(&code)).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let (second, code) = waiting_for_code(&app).await;
    for _ in 0..4 {
        let r = code_answer(&second, wrong(&code)).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let (third, code) = waiting_for_code(&app).await;
    let r = code_answer(&third, wrong(&code)).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "the ninth is a wrong code"
    );
    assert_eq!(centre_account(&app).await.factor_failures, 9);
    let r = code_answer(&third, &code).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "nine wrong codes, then the right one"
    );
    assert_eq!(centre_account(&app).await.factor_failures, 9);

    let (fourth, code) = waiting_for_code(&app).await;
    let r = code_answer(&fourth, wrong(&code)).await;
    let e: Value = r.json().await.expect("json");
    assert_eq!(e["code"], code_name(ErrorCode::SessionExpired));
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("bloqué 24 heures")),
        "{e}"
    );
    let r = password_step(&app.device(), CENTRE_ACCOUNT_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.clock()
        .advance(Duration::days(1) + Duration::minutes(1));
    let (fifth, code) = waiting_for_code(&app).await;
    let r = code_answer(&fifth, wrong(&code)).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a new day, a new count"
    );
    assert_eq!(centre_account(&app).await.factor_failures, 1);
}

/// Every right password sends an SMS: 5 an hour per account. 50 at once: 5 sign-ins go on
/// (5 SMS), 45 get 429; an hour later the account signs in again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_account_gets_five_sms_codes_an_hour_whatever_the_parallel_sign_ins() {
    // The address's own cap out of the way: this one is about the account's.
    let app = TestApp::spawn_with(|s| s.account_sign_ins_per_ip_per_hour = 1000).await;
    let urls = app.instances().await;
    let answers = fire(
        (0..N)
            .map(|i| {
                let d = app.device_on(pick(&urls, i));
                async move { password_step(&d, CENTRE_ACCOUNT_PASSWORD).await }
            })
            .collect(),
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, 5),
            (
                StatusCode::TOO_MANY_REQUESTS,
                Some(ErrorCode::RateLimited),
                N - 5
            )
        ])
    );
    let sms = sms_outbox::Entity::find()
        .filter(sms_outbox::Column::Recipient.eq(CENTRE_ACCOUNT_MOBILE))
        .count(&app.state.db)
        .await
        .expect("query");
    assert_eq!(sms, 5);
    assert_eq!(
        audit_count(&app, "account.sms_cap_reached", None).await,
        (N - 5) as u64
    );
    app.clock().advance(Duration::minutes(59));
    let r = password_step(&app.device(), CENTRE_ACCOUNT_PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "59 minutes later"
    );
    app.clock().advance(Duration::minutes(2));
    let r = password_step(&app.device(), CENTRE_ACCOUNT_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK, "61 minutes later");
    chain_intact(&app).await;
}

/// Patient look-ups by NIR: `patient_lookups_per_hour` (120) for one person in an hour whatever the parallel
/// requests (spread over two instances on PostgreSQL); the rest get 429, one incident opens,
/// and every attempt is audited — misses under the NIR's keyed fingerprint, never the NIR.
/// The hour is tested on both sides.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn patient_lookups_are_capped_per_person_and_a_flood_opens_one_incident() {
    use sea_orm::{ConnectionTrait, Statement};
    let mut h = hall().await;
    let urls = h.app.instances().await;
    let max = usize::try_from(h.app.settings().patient_lookups_per_hour).expect("positive");
    assert_eq!(max, 120, "the default");
    let over = 30;
    let answers = fire(
        (0..max + over)
            .map(|i| {
                let url = pick(&urls, i).join("/api/patients/lookup").expect("url");
                let (client, body) = (h.app.client.clone(), json!({ "nir": nir(i) }));
                async move { client.post(url).json(&body).send().await.expect("request") }
            })
            .collect(),
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, max),
            (
                StatusCode::TOO_MANY_REQUESTS,
                Some(ErrorCode::RateLimited),
                over
            )
        ])
    );
    assert!(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::OK)
            .all(|a| a.body["patient"].is_null()),
        "nobody has these NIRs"
    );
    assert_eq!(
        audit_count(&h.app, "patient.lookup_missed", None).await,
        max as u64
    );
    assert_eq!(
        audit_count(&h.app, "patient.lookups_exceeded", None).await,
        over as u64
    );
    let incidents = incident::Entity::find()
        .filter(incident::Column::Kind.eq("patient_lookup_flood"))
        .all(&h.app.state.db)
        .await
        .expect("incidents");
    assert_eq!(incidents.len(), 1);
    let jean = h.app.professional_id(JEAN_MARTIN_RPPS).await;
    assert_eq!(incidents[0].professional_id, Some(jean));
    // The audit names fingerprints, never a NIR.
    h.app.sealed().await;
    let missed = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("patient.lookup_missed"))
        .all(&h.app.state.db)
        .await
        .expect("events");
    for e in &missed {
        let subject = e.subject.as_deref().expect("a fingerprint");
        assert_eq!(subject.len(), 64);
        assert!((0..max + over).all(|i| !subject.contains(&nir(i)[..10])));
        assert_eq!(
            Some(subject.to_owned()),
            (0..max + over)
                .map(|i| h.app.state.nir_fingerprint.of(&nir(i)))
                .find(|f| f == subject),
            "the fingerprint of one of the NIRs typed"
        );
    }
    chain_intact(&h.app).await;

    // The window: still closed one second before the hour, open one second after.
    let db = &h.app.state.db;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "SELECT window_start FROM quota WHERE subject = $1",
                _ => "SELECT window_start FROM quota WHERE subject = ?",
            },
            [format!("patient_lookup:{jean}").into()],
        ))
        .await
        .expect("query")
        .expect("the quota row");
    let start: chrono::DateTime<chrono::Utc> = row.try_get("", "window_start").expect("start");
    let lookup = |h: &crate::vaccination::Hall| {
        let client = h.app.client.clone();
        let url = h.app.url("/api/patients/lookup");
        async move {
            client
                .post(url)
                .json(&json!({ "nir": nir(999) }))
                .send()
                .await
                .expect("request")
                .status()
        }
    };
    h.later(start + Duration::hours(1) - Duration::seconds(1) - h.app.state.now())
        .await;
    assert_eq!(lookup(&h).await, StatusCode::TOO_MANY_REQUESTS);
    h.later(Duration::seconds(2)).await;
    assert_eq!(lookup(&h).await, StatusCode::OK);
}

/// Searches by name and birth date count with the look-ups by NIR: 150 of them mixed, fired at
/// once (spread over two instances on PostgreSQL), get exactly `patient_lookups_per_hour` (120)
/// answers and 429 for the rest, one incident opens; then a search alone is refused until the
/// hour is over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn patient_searches_count_with_the_look_ups_by_nir() {
    let mut h = hall().await;
    let urls = h.app.instances().await;
    let max = usize::try_from(h.app.settings().patient_lookups_per_hour).expect("positive");
    let over = 30;
    let search = json!({ "family_name": "Durand", "birth_date": "1955-08-14" });
    let answers = fire(
        (0..max + over)
            .map(|i| {
                let (path, body) = if i % 2 == 0 {
                    ("/api/patients/search", search.clone())
                } else {
                    ("/api/patients/lookup", json!({ "nir": nir(i) }))
                };
                let url = pick(&urls, i).join(path).expect("url");
                let client = h.app.client.clone();
                async move { client.post(url).json(&body).send().await.expect("request") }
            })
            .collect(),
    )
    .await;
    assert_eq!(
        tally(&answers),
        expect(&[
            (StatusCode::OK, None, max),
            (
                StatusCode::TOO_MANY_REQUESTS,
                Some(ErrorCode::RateLimited),
                over
            )
        ])
    );
    assert_eq!(
        audit_count(&h.app, "patient.searched", None).await
            + audit_count(&h.app, "patient.lookup_missed", None).await,
        max as u64,
        "every answered search or look-up is audited"
    );
    assert_eq!(
        audit_count(&h.app, "patient.lookups_exceeded", None).await,
        over as u64
    );
    let incidents = incident::Entity::find()
        .filter(incident::Column::Kind.eq("patient_lookup_flood"))
        .count(&h.app.state.db)
        .await
        .expect("incidents");
    assert_eq!(incidents, 1);
    let search_once = |h: &crate::vaccination::Hall| {
        let (client, url) = (h.app.client.clone(), h.app.url("/api/patients/search"));
        let body = search.clone();
        async move { client.post(url).json(&body).send().await.expect("request") }
    };
    let r = search_once(&h).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let e: Value = r.json().await.expect("json");
    assert_eq!(e["code"], code_name(ErrorCode::RateLimited));
    h.later(Duration::hours(1) + Duration::minutes(1)).await;
    assert_eq!(search_once(&h).await.status(), StatusCode::OK);
    chain_intact(&h.app).await;
}
