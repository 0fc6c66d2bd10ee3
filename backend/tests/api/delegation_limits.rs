//! Delegation requests have budgets of their own: a delegate asking to type under Dr Jean
//! Martin's authority neither uses nor is stopped by his own push sign-in budget, and every
//! refusal says when to retry. A delegate cannot reach the professional's phone when push
//! sign-in is suspended or when he has no phone: she is told at once, with the end time.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::Paris;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use vigie_backend::demo::JEAN_MARTIN_RPPS;
use vigie_shared::{ErrorCode, api::approval::ApprovalCreated};

use crate::{
    approvals::ask,
    delegation::{scene, staff_sign_in},
    helpers::{Device, api_error, national_id, ok_json},
};

/// "HH:MM" in Paris of every minute an instant between `from` and `to` may fall in: the
/// server stamps the request between the two readings of the clock.
fn paris_minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = from;
    while at <= to + Duration::minutes(1) {
        out.push(at.with_timezone(&Paris).format("%H:%M").to_string());
        at += Duration::minutes(1);
    }
    out
}

fn says_retry_at(message: &str, minutes: &[String]) {
    assert!(
        minutes
            .iter()
            .any(|m| message.contains(&format!("réessayez à {m}"))),
        "{message:?} should say one of {minutes:?}"
    );
}

async fn cancel(device: &Device, created: &ApprovalCreated) {
    ok_json::<Value>(
        device
            .post_empty(&format!("/api/approvals/{}/cancel", created.approval_id))
            .await,
    )
    .await;
}

#[tokio::test]
async fn delegation_requests_have_their_own_budget_and_every_refusal_says_when_to_retry() {
    let mut s = scene().await;
    ok_json::<Value>(staff_sign_in(&s.app, &s.tablet, &mut s.tablet_key).await).await;

    // Jean's own budget: three sign-in requests from a hall terminal, the fourth refused.
    let hall = s.app.device();
    let before = s.app.clock().now();
    for _ in 0..3 {
        let c = ask(&hall, JEAN_MARTIN_RPPS).await;
        cancel(&hall, &c).await;
    }
    let after_first = s.app.clock().now();
    let r = hall
        .post(
            "/api/approvals",
            &json!({ "national_id": national_id(JEAN_MARTIN_RPPS) }),
        )
        .await;
    let e = api_error(r, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(e.code, ErrorCode::RateLimited);
    says_retry_at(
        &e.message,
        &paris_minutes(
            before + Duration::minutes(10),
            after_first + Duration::minutes(10),
        ),
    );

    // Marie's delegation requests still go through: a budget of their own.
    let delegate_start = s.app.clock().now();
    let first: ApprovalCreated = ok_json(s.ask().await).await;
    // One at a time: while it is pending, a second is refused until it ends (2 minutes).
    let e = api_error(s.ask().await, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(e.code, ErrorCode::RateLimited);
    assert!(e.message.contains("encore en attente"), "{}", e.message);
    says_retry_at(
        &e.message,
        &paris_minutes(
            delegate_start + Duration::minutes(2),
            s.app.clock().now() + Duration::minutes(2),
        ),
    );
    cancel(&s.tablet, &first).await;
    for _ in 0..2 {
        let c: ApprovalCreated = ok_json(s.ask().await).await;
        cancel(&s.tablet, &c).await;
    }
    let after_delegate = s.app.clock().now();
    // The fourth in ten minutes is refused, with the time the first leaves the window.
    let e = api_error(s.ask().await, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(e.code, ErrorCode::RateLimited);
    assert!(
        e.message.starts_with("Vous avez envoyé trop de demandes"),
        "{}",
        e.message
    );
    says_retry_at(
        &e.message,
        &paris_minutes(
            delegate_start + Duration::minutes(10),
            after_delegate + Duration::minutes(10),
        ),
    );
    // Her requests did not use Jean's budget, nor his hers: after ten minutes both work again.
    s.app
        .clock()
        .advance(Duration::minutes(10) + Duration::seconds(2));
    let c: ApprovalCreated = ok_json(s.ask().await).await;
    cancel(&s.tablet, &c).await;
    let c = ask(&hall, JEAN_MARTIN_RPPS).await;
    cancel(&hall, &c).await;
}

/// 60 requests at once from the delegate's tablet (on two instances on PostgreSQL): exactly one
/// request is created, the others are refused with the time to retry.
#[tokio::test]
async fn parallel_delegation_requests_make_exactly_one() {
    let mut s = scene().await;
    ok_json::<Value>(staff_sign_in(&s.app, &s.tablet, &mut s.tablet_key).await).await;
    let instances = s.app.instances().await;
    let body = json!({ "professional_id": s.jean_id, "terminal_label": "Tablette 3" });
    let answers = join_all((0..60).map(|i| {
        let tablet = s.tablet.on(&instances[i % instances.len()]);
        let body = body.clone();
        async move { tablet.post("/api/delegation/requests", &body).await }
    }))
    .await;
    let mut created = 0;
    for r in answers {
        match r.status() {
            StatusCode::OK => {
                let c: ApprovalCreated = ok_json(r).await;
                assert_eq!(c.code.len(), 6);
                created += 1;
            }
            status => {
                let e = api_error(r, status).await;
                assert_eq!(e.code, ErrorCode::RateLimited, "{}", e.message);
                assert!(e.message.contains("réessayez à"), "{}", e.message);
            }
        }
    }
    assert_eq!(created, 1);
    // Jean's own budget is untouched: a hall terminal may still ask for him.
    let hall = s.app.device();
    let c = ask(&hall, JEAN_MARTIN_RPPS).await;
    assert_eq!(c.code.len(), 6);
}

/// A suspended professional: the delegate is told at once until when, instead of a request
/// that can only expire. The phone's presence explains the suspension too.
#[tokio::test]
async fn a_delegate_is_told_when_the_professional_cannot_answer() {
    let mut s = scene().await;
    ok_json::<Value>(staff_sign_in(&s.app, &s.tablet, &mut s.tablet_key).await).await;
    let presence: Value = ok_json(s.phone.get("/api/approver/presence").await).await;
    assert!(presence.get("push_frozen").is_none(), "{presence}");

    // Jean reports a request he did not make: push sign-in suspended 24 h.
    let hall = s.app.device();
    let c = ask(&hall, JEAN_MARTIN_RPPS).await;
    let reported_at = s.app.clock().now();
    let r = s
        .phone
        .post_empty(&format!("/api/approver/requests/{}/report", c.approval_id))
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let e = api_error(s.ask().await, StatusCode::CONFLICT).await;
    assert_eq!(e.code, ErrorCode::AuthorityUnavailable);
    let until = reported_at + Duration::hours(24);
    let day = until.with_timezone(&Paris).format("%d/%m/%Y").to_string();
    assert!(
        e.message.contains(&format!("jusqu'au {day} à ")),
        "{}",
        e.message
    );

    let presence: Value = ok_json(s.phone.get("/api/approver/presence").await).await;
    assert_eq!(presence["push_frozen"]["reported"], true, "{presence}");
    let told: DateTime<Utc> = presence["push_frozen"]["until"]
        .as_str()
        .expect("until")
        .parse()
        .expect("instant");
    assert!((told - until).num_seconds().abs() <= 5, "{told} vs {until}");

    // After the suspension (and a new sign-in: her session did not last a day), she may ask.
    s.app
        .clock()
        .advance(Duration::hours(24) + Duration::seconds(5));
    ok_json::<Value>(staff_sign_in(&s.app, &s.tablet, &mut s.tablet_key).await).await;
    let created: ApprovalCreated = ok_json(s.ask().await).await;
    assert_eq!(created.code.len(), 6);
    let presence: Value = ok_json(s.phone.get("/api/approver/presence").await).await;
    assert!(presence.get("push_frozen").is_none(), "{presence}");
}
