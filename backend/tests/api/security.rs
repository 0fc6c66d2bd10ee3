//! Security officers see incidents and frozen identities; nobody else does.

use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use vigie_backend::{
    demo::{CLAIRE_BERNARD_RPPS, JEAN_MARTIN_RPPS},
    entities::role_grant,
    routes::security::ROLE,
};
use vigie_shared::{
    ErrorCode,
    api::approval::{ApprovalCreated, ApprovalState, PendingApproval},
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::helpers::{TestApp, api_error, national_id, ok_json};

#[tokio::test]
async fn officer_sees_incident_and_lifts_the_freeze() {
    let app = TestApp::spawn().await;
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let attacker = app.device();
    let created: ApprovalCreated = ok_json(
        attacker
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
            )
            .await,
    )
    .await;
    ok_json::<ApprovalState>(
        phone
            .post_empty(&format!(
                "/api/approver/requests/{}/report",
                created.approval_id
            ))
            .await,
    )
    .await;

    // Claire is the officer; Jean (the victim) is not.
    let mut claire_key = SoftPasskey::new(true);
    app.register_passkey(CLAIRE_BERNARD_RPPS, &mut claire_key)
        .await;
    app.sign_in(CLAIRE_BERNARD_RPPS, &mut claire_key).await;
    let r = app.get("/api/security/incidents").await;
    assert_eq!(
        api_error(r, StatusCode::FORBIDDEN).await.code,
        ErrorCode::Forbidden
    );
    let claire = app.professional_id(CLAIRE_BERNARD_RPPS).await;
    role_grant::Entity::insert(role_grant::ActiveModel {
        professional_id: Set(claire),
        role: Set(ROLE.into()),
        granted_at: Set(app.state.now()),
    })
    .exec(&app.state.db)
    .await
    .expect("grant");
    // The app's menu offers the page to the officer only.
    for path in ["/api/session", "/api/session/presence"] {
        let state: vigie_shared::api::session::SessionState = ok_json(app.get(path).await).await;
        assert!(state.security_officer, "{path}");
    }

    let incidents: Vec<Value> = ok_json(app.get("/api/security/incidents").await).await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["professional"], "Dr Jean Martin");
    let freezes: Vec<Value> = ok_json(app.get("/api/security/freezes").await).await;
    assert_eq!(freezes.len(), 1);
    assert_eq!(
        freezes[0]["national_id"],
        national_id(JEAN_MARTIN_RPPS).as_str()
    );

    let lift = format!(
        "/api/security/freezes/{}/lift",
        national_id(JEAN_MARTIN_RPPS)
    );
    let r = app.post(&lift, &json!({ "reason": "" })).await;
    assert_eq!(
        api_error(r, StatusCode::BAD_REQUEST).await.code,
        ErrorCode::InvalidInput
    );
    let r = app
        .post(
            &lift,
            &json!({ "reason": "Vérifié par téléphone avec le Dr Martin" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let freezes: Vec<Value> = ok_json(app.get("/api/security/freezes").await).await;
    assert!(freezes.is_empty());

    // Push works again for Jean.
    app.clock().advance(chrono::Duration::minutes(11));
    let again: ApprovalCreated = ok_json(
        app.device()
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
            )
            .await,
    )
    .await;
    let pending: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].approval_id, again.approval_id);

    let id = incidents[0]["incident_id"].as_str().expect("id");
    let closed: Value = ok_json(
        app.post(
            &format!("/api/security/incidents/{id}/close"),
            &json!({ "reason": "Tentative bloquée, RAS" }),
        )
        .await,
    )
    .await;
    assert_eq!(closed["status"], "closed");
    let incidents: Vec<Value> = ok_json(app.get("/api/security/incidents").await).await;
    assert!(incidents.is_empty());
}

#[tokio::test]
async fn anonymous_gets_401_on_security_pages() {
    let app = TestApp::spawn().await;
    for path in ["/api/security/incidents", "/api/security/freezes"] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
}

/// Push requests from `x-forwarded-for` clients, each for another (unknown) identity; the
/// statuses in order.
async fn ask_as(app: &TestApp, forwarded: &[&str], first: usize) -> Vec<StatusCode> {
    ask_through(app, "x-forwarded-for", forwarded, first).await
}

/// The same, each request naming its client in `header`.
async fn ask_through(
    app: &TestApp,
    header: &str,
    forwarded: &[&str],
    first: usize,
) -> Vec<StatusCode> {
    let mut out = Vec::new();
    for (i, hop) in forwarded.iter().enumerate() {
        let body = (0..10)
            .find_map(|k| {
                vigie_shared::Rpps::parse(&format!("{:010}{k}", 3_100_000_000usize + first + i))
                    .ok()
            })
            .expect("a valid RPPS");
        let r = app
            .device()
            .client
            .post(app.url("/api/approvals"))
            .header(header, *hop)
            .json(&json!({ "national_id": body.national_id() }))
            .send()
            .await
            .expect("request");
        out.push(r.status());
    }
    out
}

/// Behind a trusted proxy the client named by `X-Forwarded-For` is the one counted (an IPv6
/// client per /64); from any other peer the header is ignored, so nobody escapes the per-address
/// cap by writing one.
#[tokio::test]
async fn the_client_address_comes_from_trusted_proxies_only() {
    const OK: StatusCode = StatusCode::OK;
    const CAP: StatusCode = StatusCode::TOO_MANY_REQUESTS;
    // Nothing trusted: the forged headers are ignored and the loopback peer is counted.
    let app = TestApp::spawn_with(|s| s.push_requests_per_ip_per_10_min = 2).await;
    assert_eq!(
        ask_as(&app, &["203.0.113.1", "203.0.113.2", "203.0.113.3"], 0).await,
        [OK, OK, CAP]
    );
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let r = app
        .device()
        .client
        .post(app.url("/api/approvals"))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }))
        .send()
        .await
        .expect("request");
    assert_eq!(
        r.status(),
        CAP,
        "the loopback peer's cap, whatever the header"
    );
    drop(phone);

    // The loopback proxy trusted: each forwarded client has its own cap; an IPv6 /64 is one.
    let app = TestApp::spawn_with(|s| {
        s.push_requests_per_ip_per_10_min = 2;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().expect("net")];
    })
    .await;
    assert_eq!(
        ask_as(&app, &["203.0.113.1", "203.0.113.1", "203.0.113.1"], 0).await,
        [OK, OK, CAP]
    );
    assert_eq!(
        ask_as(&app, &["198.51.100.4, 203.0.113.2"], 10).await,
        [OK],
        "the hop nearest the proxy, not a forged first entry"
    );
    assert_eq!(
        ask_as(
            &app,
            &[
                "2001:db8:1:2::a",
                "2001:db8:1:2:ffff::b",
                "2001:db8:1:2::c",
                "2001:db8:1:3::c"
            ],
            20
        )
        .await,
        [OK, OK, CAP, OK]
    );
    // What the phone shows is the forwarded client.
    let (phone, _key) = app.activated_phone(JEAN_MARTIN_RPPS).await;
    let r = app
        .device()
        .client
        .post(app.url("/api/approvals"))
        .header("x-forwarded-for", "192.0.2.44")
        .json(&json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), OK);
    let pending: Vec<PendingApproval> = ok_json(phone.get("/api/approver/requests").await).await;
    assert_eq!(pending[0].ip, "192.0.2.44");
}

/// A trusted proxy passes a header it does not write through as the client wrote it: only the
/// configured one (`forwarded_header`) names the client, so a forged `Forwarded` behind an
/// `X-Forwarded-For` proxy (nginx's default) escapes no cap — and the reverse.
#[tokio::test]
async fn only_the_header_the_proxy_writes_names_the_client() {
    use vigie_backend::config::ForwardedHeader;
    const OK: StatusCode = StatusCode::OK;
    const CAP: StatusCode = StatusCode::TOO_MANY_REQUESTS;
    let app = TestApp::spawn_with(|s| {
        s.push_requests_per_ip_per_10_min = 2;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().expect("net")];
    })
    .await;
    assert_eq!(
        ask_through(
            &app,
            "forwarded",
            &["for=203.0.113.1", "for=203.0.113.2", "for=203.0.113.3"],
            0
        )
        .await,
        [OK, OK, CAP],
        "a forged Forwarded is ignored: the proxy itself is counted"
    );
    assert_eq!(
        ask_through(&app, "x-forwarded-for", &["203.0.113.4"], 10).await,
        [OK],
        "X-Forwarded-For still names the client"
    );

    let app = TestApp::spawn_with(|s| {
        s.push_requests_per_ip_per_10_min = 2;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().expect("net")];
        s.forwarded_header = ForwardedHeader::Forwarded;
    })
    .await;
    assert_eq!(
        ask_through(
            &app,
            "x-forwarded-for",
            &["203.0.113.1", "203.0.113.2", "203.0.113.3"],
            0
        )
        .await,
        [OK, OK, CAP],
        "a forged X-Forwarded-For is ignored: the proxy itself is counted"
    );
    assert_eq!(
        ask_through(&app, "forwarded", &["for=203.0.113.4"], 10).await,
        [OK],
        "Forwarded still names the client"
    );
}

/// A change is accepted only from Vigie's own pages: `Sec-Fetch-Site: same-origin`, or the
/// public URL's `Origin`. Another origin, a sibling site, or no such header at all: 403
/// `cross_origin`, and nothing happens. Reads are not concerned.
#[tokio::test]
async fn changes_come_from_vigie_s_own_pages_only() {
    let app = TestApp::spawn().await;
    let origin = app.base.origin().ascii_serialization();
    let plain = reqwest::Client::new();
    let ask = |headers: Vec<(&'static str, String)>| {
        let mut r = plain
            .post(app.url("/api/approvals"))
            .json(&json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }));
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.send()
    };
    for (why, headers) in [
        ("no header", vec![]),
        (
            "another origin",
            vec![("origin", "https://vigie.example.net".to_owned())],
        ),
        (
            "a sibling site, whatever Origin says",
            vec![
                ("sec-fetch-site", "same-site".to_owned()),
                ("origin", origin.clone()),
            ],
        ),
        (
            "cross-site",
            vec![("sec-fetch-site", "cross-site".to_owned())],
        ),
    ] {
        let e = api_error(ask(headers).await.expect("request"), StatusCode::FORBIDDEN).await;
        assert_eq!(e.code, ErrorCode::CrossOrigin, "{why}");
    }
    use sea_orm::PaginatorTrait;
    let rows = vigie_backend::entities::approval_request::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(rows, 0, "nothing was asked");
    for (why, headers) in [
        (
            "same origin",
            vec![("sec-fetch-site", "same-origin".to_owned())],
        ),
        ("our Origin", vec![("origin", origin.clone())]),
    ] {
        let r = ask(headers).await.expect("request");
        assert_eq!(r.status(), StatusCode::OK, "{why}");
        // One pending request per identity: let the next one through.
        let created: ApprovalCreated = r.json().await.expect("json");
        let r = app
            .device()
            .client
            .post(app.url(&format!("/api/approvals/{}/cancel", created.approval_id)))
            .send()
            .await
            .expect("request");
        assert!(r.status().is_client_error() || r.status().is_success());
        app.clock().advance(chrono::Duration::minutes(11));
    }
    let r = plain
        .get(app.url("/api/health"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK, "a read needs no Origin");
}

/// HSTS when the public URL is HTTPS (TLS ends at the proxy), never over plain HTTP.
#[tokio::test]
async fn hsts_only_when_served_over_https() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/health").await;
    assert!(r.headers().get("strict-transport-security").is_none());
    let app = TestApp::spawn_with(|s| {
        s.public_url = url::Url::parse("https://localhost:0").expect("url");
    })
    .await;
    let r = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{}/api/health",
            app.base.port().expect("port")
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(
        r.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
}

/// Over HTTPS the cookies are `__Host-` (Secure, Path=/, no Domain) and only that name is
/// read: a cookie planted under the plain name (by a sibling subdomain) is not a terminal.
#[tokio::test]
async fn over_https_cookies_are_host_only_and_a_planted_one_is_ignored() {
    let app = TestApp::spawn_with(|s| {
        s.public_url = url::Url::parse("https://localhost:0").expect("url");
    })
    .await;
    let port = app.base.port().expect("port");
    let origin = format!("https://localhost:{port}");
    let at = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let client = reqwest::Client::new();
    let r = client
        .post(at("/api/approvals"))
        .header("origin", &origin)
        .json(&json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let set = r.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(set.starts_with("__Host-vigie_terminal="), "{set}");
    assert!(set.contains("; Secure") && set.contains("Path=/") && !set.contains("Domain"));
    let token = set
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("token");
    let created: ApprovalCreated = r.json().await.expect("json");
    let state_with = |cookie: String| {
        client
            .get(at(&format!("/api/approvals/{}", created.approval_id)))
            .header("cookie", cookie)
            .send()
    };
    let r = state_with(format!("__Host-vigie_terminal={token}"))
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK, "the terminal's own cookie");
    let r = state_with(format!("vigie_terminal={token}"))
        .await
        .expect("request");
    assert_eq!(
        api_error(r, StatusCode::NOT_FOUND).await.code,
        ErrorCode::NotFound,
        "the plain name is not read over HTTPS"
    );
}

/// Expired ceremonies, old SMS and sent mails are swept — each one step after its keeping time,
/// not one step before.
#[tokio::test]
async fn stale_ceremonies_sms_and_sent_mails_are_swept_in_time() {
    use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, PaginatorTrait, QueryFilter};
    use vigie_backend::{
        entities::{mail_outbox, sms_outbox, webauthn_ceremony},
        housekeeping,
    };
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    // A ceremony (2 minutes), an SMS code, a mail handed to the relay.
    ok_json::<Value>(
        app.post(
            "/api/passkeys/authentication/start",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await,
    )
    .await;
    let r =
        crate::accounts::password_step(&app.device(), vigie_backend::demo::CENTRE_ACCOUNT_PASSWORD)
            .await;
    assert_eq!(r.status(), StatusCode::OK);
    let mail = app.outbox().await.into_iter().next();
    let sent = match mail {
        Some(m) => m,
        None => {
            // The demo data mails nothing: ask for an activation, which does.
            app.post(
                "/api/activation",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
            )
            .await;
            app.outbox().await.into_iter().next().expect("a mail")
        }
    };
    let mut m = sent.into_active_model();
    m.sent_at = Set(Some(app.state.now()));
    m.update(db).await.expect("sent");
    let count = || async {
        (
            webauthn_ceremony::Entity::find()
                .count(db)
                .await
                .expect("count"),
            sms_outbox::Entity::find().count(db).await.expect("count"),
            mail_outbox::Entity::find()
                .filter(mail_outbox::Column::SentAt.is_not_null())
                .count(db)
                .await
                .expect("count"),
        )
    };
    let (ceremonies, sms, mails) = count().await;
    assert!(ceremonies >= 1 && sms >= 1 && mails == 1);
    let clock = app.clock();
    let minute = chrono::Duration::minutes(1);
    // Ceremony: 2 minutes of life, then an hour kept.
    clock.advance(chrono::Duration::minutes(2) + housekeeping::CEREMONY_KEPT - minute);
    assert_eq!(
        housekeeping::sweep(&app.state)
            .await
            .expect("sweep")
            .ceremonies,
        0
    );
    clock.advance(minute * 2);
    assert_eq!(
        housekeeping::sweep(&app.state)
            .await
            .expect("sweep")
            .ceremonies,
        ceremonies
    );
    // SMS: a day.
    clock.advance(housekeeping::SMS_KEPT - chrono::Duration::hours(1) - minute * 4);
    assert_eq!(housekeeping::sweep(&app.state).await.expect("sweep").sms, 0);
    clock.advance(minute * 4);
    assert_eq!(
        housekeeping::sweep(&app.state).await.expect("sweep").sms,
        sms
    );
    // Sent mail: a week.
    clock.advance(housekeeping::SENT_MAIL_KEPT - housekeeping::SMS_KEPT - minute * 4);
    assert_eq!(
        housekeeping::sweep(&app.state).await.expect("sweep").mails,
        0
    );
    clock.advance(minute * 4);
    assert_eq!(
        housekeeping::sweep(&app.state).await.expect("sweep").mails,
        1
    );
    assert_eq!(count().await.2, 0);
}

/// A terminal unseen for 400 days (its cookie has expired in every browser) is swept with its
/// usages, one step after, not one step before; one seen since stays.
#[tokio::test]
async fn terminals_unseen_for_400_days_are_swept_in_time() {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    use vigie_backend::{
        entities::{terminal, terminal_usage},
        housekeeping,
    };
    let app = TestApp::spawn().await;
    // A push sign-in asked from a tablet creates its terminal; Jean has used it.
    let tablet = app.device();
    let _: ApprovalCreated = ok_json(
        tablet
            .post(
                "/api/approvals",
                &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
            )
            .await,
    )
    .await;
    let db = &app.state.db;
    let terminals = terminal::Entity::find().all(db).await.expect("terminals");
    assert_eq!(terminals.len(), 1);
    let id = terminals[0].id;
    terminal_usage::Entity::insert(terminal_usage::ActiveModel {
        professional_id: sea_orm::ActiveValue::Set(app.professional_id(JEAN_MARTIN_RPPS).await),
        terminal_id: sea_orm::ActiveValue::Set(id),
        first_used_at: sea_orm::ActiveValue::Set(app.state.now()),
    })
    .exec(db)
    .await
    .expect("usage");
    let minute = chrono::Duration::minutes(1);
    app.clock().advance(housekeeping::TERMINAL_KEPT - minute);
    assert_eq!(
        housekeeping::sweep(&app.state)
            .await
            .expect("sweep")
            .terminals,
        0
    );
    // Another tablet seen now stays whatever happens to the first.
    let fresh = app.device();
    fresh
        .post(
            "/api/approvals",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await;
    app.clock().advance(minute * 2);
    assert_eq!(
        housekeeping::sweep(&app.state)
            .await
            .expect("sweep")
            .terminals,
        1
    );
    assert!(
        terminal::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("q")
            .is_none()
    );
    assert_eq!(
        terminal_usage::Entity::find()
            .filter(terminal_usage::Column::TerminalId.eq(id))
            .count(db)
            .await
            .expect("count"),
        0
    );
    assert_eq!(terminal::Entity::find().count(db).await.expect("count"), 1);
}
