//! Live event streams live no longer than their session, on whichever instance they are open,
//! and are capped per session and per client address.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::{Response, StatusCode};
use vigie_backend::demo::JEAN_MARTIN_RPPS;
use vigie_shared::{
    ErrorCode,
    api::session::{SessionState, SessionSummary},
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::helpers::{Device, TestApp, api_error, ok_json};

/// Reads a stream to its end; panics if it is still open after `within`.
async fn read_to_end(mut r: Response, within: Duration) -> String {
    assert_eq!(r.status(), StatusCode::OK);
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, r.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Ok(None)) => return text,
            Ok(Err(e)) => panic!("stream broke: {e}"),
            Err(_) => panic!("stream still open after {within:?}: {text}"),
        }
    }
}

/// A new session of Jean's on its own device.
async fn session(app: &TestApp, key: &mut SoftPasskey) -> Device {
    let device = app.device();
    app.sign_in_on(&device, JEAN_MARTIN_RPPS, key).await;
    device
}

const ENDED: &str = r#""kind":"session_ended""#;
/// What the issue promises: a stream closes within a second of its session ending (the watch
/// compares the clock every second; the event path is immediate).
const WITHIN: Duration = Duration::from_secs(1);

#[tokio::test]
async fn a_stream_ends_within_a_second_of_its_session_ending_however_it_ends() {
    let app = TestApp::spawn().await;
    let instances = app.instances().await;
    let other = instances.last().expect("an instance");
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;

    // Logout on one instance: both streams of that session, open on the other, end.
    let computer = session(&app, &mut key).await;
    let header = computer.on(other).get("/api/session/events").await;
    let supervision = computer.on(other).get("/api/supervision/events").await;
    let r = computer.post_empty("/api/session/logout").await;
    assert!(r.status().is_success(), "{}", r.status());
    let started = Instant::now();
    for stream in [header, supervision] {
        let text = read_to_end(stream, WITHIN).await;
        assert!(text.contains(ENDED), "{text}");
        assert!(text.contains(r#""reason":"logout""#), "{text}");
    }
    assert!(started.elapsed() < WITHIN);

    // Ended from another session ("Mes sessions").
    let laptop = session(&app, &mut key).await;
    let tablet = session(&app, &mut key).await;
    let theirs: Vec<SessionSummary> = ok_json(tablet.get("/api/sessions").await).await;
    let tablet_session = theirs
        .iter()
        .find(|s| s.current)
        .expect("current")
        .session_id;
    let stream = tablet.on(other).get("/api/session/events").await;
    let r = laptop
        .post_empty(&format!("/api/sessions/{tablet_session}/end"))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let text = read_to_end(stream, WITHIN).await;
    assert!(text.contains(r#""reason":"ended_by_user""#), "{text}");

    // Idle limit: nobody ends it, the clock does.
    let stream = laptop.on(other).get("/api/supervision/events").await;
    // Ten seconds before the limit (the real seconds of the test aside) it is still open…
    app.clock().advance(chrono::Duration::seconds(59 * 60 + 50));
    let mut stream = stream;
    let early = tokio::time::timeout(Duration::from_millis(1500), stream.chunk()).await;
    assert!(
        early.is_err(),
        "still open before the idle limit: {early:?}"
    );
    // …past it, it closes within a second, saying why.
    app.clock().advance(chrono::Duration::seconds(15));
    let text = read_to_end(stream, WITHIN).await;
    assert!(text.contains(r#""reason":"expired""#), "{text}");

    // Absolute limit: activity keeps the idle limit away, not the 4 hours.
    let busy = session(&app, &mut key).await;
    let stream = busy.on(other).get("/api/session/events").await;
    for _ in 0..4 {
        app.clock().advance(chrono::Duration::minutes(50));
        ok_json::<SessionState>(
            busy.post("/api/session/keep-alive", &serde_json::json!({}))
                .await,
        )
        .await;
    }
    let mut stream = stream;
    let early = tokio::time::timeout(Duration::from_millis(1500), stream.chunk()).await;
    assert!(early.is_err(), "open at 200 minutes: {early:?}");
    app.clock().advance(chrono::Duration::minutes(41));
    let text = read_to_end(stream, WITHIN).await;
    assert!(text.contains(r#""reason":"expired""#), "{text}");
}

/// 50 streams asked at once by one session, spread over the instances: each instance gives 8
/// (its cap per session), the others get 429. A second session from the same address gets
/// what is left of the address's cap; a session that ends gives its places back.
#[tokio::test]
async fn streams_are_capped_per_session_and_per_client_address() {
    const PER_SESSION: usize = 8;
    const PER_ADDRESS: usize = 12;
    let app = TestApp::spawn_with(|s| s.streams_per_address = PER_ADDRESS).await;
    let instances = app.instances().await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;

    let open_many = |device: &Device| {
        let asks = (0..50).map(|i| {
            let d = device.on(&instances[i % instances.len()]);
            async move { d.get("/api/session/events").await }
        });
        join_all(asks)
    };
    let split = |answers: Vec<Response>| {
        let (ok, refused): (Vec<_>, Vec<_>) = answers
            .into_iter()
            .partition(|r| r.status() == StatusCode::OK);
        (ok, refused)
    };

    let first = session(&app, &mut key).await;
    let (first_open, refused) = split(open_many(&first).await);
    assert_eq!(first_open.len(), PER_SESSION * instances.len());
    for r in refused {
        let e = api_error(r, StatusCode::TOO_MANY_REQUESTS).await;
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.message.contains("connexions en direct"), "{}", e.message);
    }

    let second = session(&app, &mut key).await;
    let (second_open, refused) = split(open_many(&second).await);
    assert_eq!(
        second_open.len(),
        (PER_ADDRESS - PER_SESSION) * instances.len()
    );
    assert_eq!(refused.len(), 50 - second_open.len());

    // The first session ends: its streams close and give their places back.
    let r = first.post_empty("/api/session/logout").await;
    assert!(r.status().is_success());
    for s in first_open {
        read_to_end(s, WITHIN).await;
    }
    let (third_open, _) = split(open_many(&second).await);
    assert_eq!(
        third_open.len(),
        (PER_SESSION - (PER_ADDRESS - PER_SESSION)) * instances.len()
    );
    drop(second_open);
}

/// "Ce n'est pas moi" in the sign-in mail ends that session: its streams, on whichever
/// instance, close within a second, saying why.
#[tokio::test]
async fn a_stream_ends_within_a_second_of_its_session_being_reported_by_the_mail_link() {
    let app = TestApp::spawn().await;
    let instances = app.instances().await;
    let other = instances.last().expect("an instance");
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    let computer = session(&app, &mut key).await;
    let token = app.report_token().await;
    let header = computer.on(other).get("/api/session/events").await;
    let supervision = computer.on(other).get("/api/supervision/events").await;
    let r = app
        .device()
        .post(
            "/api/sessions/report",
            &serde_json::json!({ "token": token }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let started = Instant::now();
    for stream in [header, supervision] {
        let text = read_to_end(stream, WITHIN).await;
        assert!(text.contains(ENDED), "{text}");
        assert!(text.contains(r#""reason":"reported""#), "{text}");
    }
    assert!(started.elapsed() < WITHIN);
}

/// A delegated session's tablet stream closes within a second when the doctor withdraws the
/// delegate, and (in a new session) when the manager withdraws the staff member.
#[tokio::test]
async fn a_delegated_stream_ends_within_a_second_of_the_delegate_or_staff_withdrawn() {
    let mut s = crate::delegation::scene().await;
    s.delegated_session().await;
    let stream = s.tablet.get("/api/session/events").await;
    let computer = s.jean_computer().await;
    let delegate = s.app.url(&format!("/api/delegation/delegates/{}", s.marie));
    let r = computer
        .client
        .delete(delegate.clone())
        .send()
        .await
        .expect("request");
    assert!(r.status().is_success(), "{}", r.status());
    let started = Instant::now();
    let text = read_to_end(stream, WITHIN).await;
    assert!(started.elapsed() < WITHIN);
    assert!(text.contains(ENDED), "{text}");
    assert!(
        text.contains(r#""reason":"delegation_withdrawn""#),
        "{text}"
    );
    api_error(s.tablet.get("/api/session").await, StatusCode::UNAUTHORIZED).await;

    // Chosen again, a new session on a fresh tablet; then the manager withdraws her.
    let r = computer.client.put(delegate).send().await.expect("request");
    assert!(r.status().is_success(), "{}", r.status());
    s.tablet = s.app.device();
    s.delegated_session().await;
    let stream = s.tablet.get("/api/session/events").await;
    let r = s
        .manager
        .post_empty(&format!(
            "/api/structures/{}/staff/{}/withdraw",
            s.structure_id, s.marie
        ))
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let started = Instant::now();
    let text = read_to_end(stream, WITHIN).await;
    assert!(started.elapsed() < WITHIN);
    assert!(text.contains(ENDED), "{text}");
    assert!(text.contains(r#""reason":"staff_withdrawn""#), "{text}");
}

/// The cap of one terminal (anonymous kiosk cookie) or one approver phone.
const PER_DEVICE: usize = 8;

/// Asks `n` streams at once; the open ones, and the refusals checked as the documented 429.
async fn open_at_once(device: &Device, path: &str, n: usize) -> Vec<Response> {
    let answers = join_all((0..n).map(|_| device.get(path))).await;
    let (open, refused): (Vec<_>, Vec<_>) = answers
        .into_iter()
        .partition(|r| r.status() == StatusCode::OK);
    let refused_count = refused.len();
    for r in refused {
        let e = api_error(r, StatusCode::TOO_MANY_REQUESTS).await;
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.message.contains("connexions en direct"), "{}", e.message);
    }
    assert_eq!(open.len() + refused_count, n);
    open
}

/// One terminal cookie asking 20 streams of its request at once gets exactly the cap, the
/// rest 429 `rate_limited`; another terminal at the same address still gets its own; the same
/// for an approver phone. A closed stream gives its place back.
#[tokio::test]
async fn streams_are_capped_per_terminal_and_per_phone() {
    use vigie_shared::api::approval::ApprovalCreated;
    let app = TestApp::spawn().await;
    let ask = |terminal: &Device, rpps: &'static str| {
        let terminal = terminal.client.clone();
        let url = app.url("/api/approvals");
        async move {
            let r = terminal
                .post(url)
                .json(&serde_json::json!({
                    "national_id": crate::helpers::national_id(rpps),
                    "terminal_label": "Borne"
                }))
                .send()
                .await
                .expect("request");
            ok_json::<ApprovalCreated>(r).await.approval_id
        }
    };
    let terminal = app.device();
    let id = ask(&terminal, JEAN_MARTIN_RPPS).await;
    let path = format!("/api/approvals/{id}/events");
    let mut open = open_at_once(&terminal, &path, 20).await;
    assert_eq!(open.len(), PER_DEVICE);
    // Another terminal, same address (one request at a time per identifier: Claire's): its
    // own places.
    let second = app.device();
    let other = ask(&second, vigie_backend::demo::CLAIRE_BERNARD_RPPS).await;
    let theirs = open_at_once(&second, &format!("/api/approvals/{other}/events"), 1).await;
    assert_eq!(theirs.len(), 1);
    // One stream closed by the terminal: one place back, not more.
    drop(open.pop());
    let mut again = Vec::new();
    for _ in 0..50 {
        again = open_at_once(&terminal, &path, 2).await;
        if !again.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(again.len(), 1);

    // The approver phone: the same cap for its own stream.
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let on_phone = open_at_once(&phone, "/api/approver/events", 20).await;
    assert_eq!(on_phone.len(), PER_DEVICE);
    drop((open, theirs, again, on_phone));
}
