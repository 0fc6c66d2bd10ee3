//! This instance's push sender: woken right after a commit that queued pushes, and every
//! 300 ms for rows other instances wrote. Each row is claimed by one conditional UPDATE (its
//! `next_attempt_at` moved past now: a lease), so exactly one instance sends it, even with
//! several instances on one PostgreSQL database.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr};
use vigie_shared::api::{approval::ApprovalStatus, push::PushMessage};

use super::{Push, subscription::Stored, vapid};
use crate::{
    entities::{approval_request, approver_device, push_outbox, push_subscription},
    state::AppState,
    vault::PUSH_SUBSCRIPTION,
};

/// How often the outbox is read when nothing woke the sender.
const POLL: Duration = Duration::from_millis(300);
/// A claimed row is this instance's for this long (longer than a request's timeout); should
/// the instance die meanwhile, another one takes the row over afterwards.
const LEASE: chrono::Duration = chrono::Duration::seconds(30);
/// Pushes one instance sends at the same time.
const PARALLEL: usize = 8;
/// Retries wait 1, 2, 4, 8 s… at most this long (the request lives two minutes).
const MAX_BACKOFF: i64 = 16;

pub async fn run_sender(state: AppState) {
    loop {
        if let Err(e) = round(&state).await {
            tracing::warn!(error = %e, "push: delivery round failed");
        }
        tokio::select! {
            () = state.push.wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// The application clock to the microsecond, as both databases store it.
fn now(state: &AppState) -> DateTime<Utc> {
    use chrono::SubsecRound;
    state.now().trunc_subsecs(6)
}

async fn round(state: &AppState) -> anyhow::Result<()> {
    let now = now(state);
    let due = push_outbox::Entity::find()
        .filter(push_outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(push_outbox::Column::CreatedAt)
        .limit(32)
        .all(&state.db)
        .await?;
    // A few at a time: a push service that hangs until the timeout does not hold up the others.
    use futures_util::StreamExt;
    let done: Vec<anyhow::Result<()>> = futures_util::stream::iter(due)
        .map(|row| deliver(state, row))
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    done.into_iter().collect()
}

/// What became of one attempt.
enum Outcome {
    Sent,
    /// The push service no longer knows this subscription (404/410).
    Gone,
    /// Worth another try (429, 5xx, network), not before this many seconds.
    Retry(Option<i64>),
    /// Refused for good (another 4xx): logged, dropped.
    Refused(u16),
}

async fn deliver(state: &AppState, row: push_outbox::Model) -> anyhow::Result<()> {
    let now = now(state);
    if row.expires_at <= now {
        return drop_row(state, row.id).await;
    }
    if !claim(state, row.id, now).await? {
        // Another instance has it.
        return Ok(());
    }
    // Only a request still waiting, on a phone still active and subscribed, is pushed.
    let request = approval_request::Entity::find_by_id(row.approval_id)
        .one(&state.db)
        .await?;
    let Some(request) =
        request.filter(|r| r.status == ApprovalStatus::Pending && r.expires_at > now)
    else {
        return drop_row(state, row.id).await;
    };
    let active = approver_device::Entity::find_by_id(row.device_id)
        .one(&state.db)
        .await?
        .is_some_and(|d| d.revoked_at.is_none());
    let subscription = push_subscription::Entity::find_by_id(row.device_id)
        .one(&state.db)
        .await?;
    if !active {
        // A revoked phone: its subscription goes too.
        push_subscription::Entity::delete_by_id(row.device_id)
            .exec(&state.db)
            .await?;
        return drop_row(state, row.id).await;
    }
    let Some(subscription) = subscription else {
        return drop_row(state, row.id).await;
    };
    let stored: Stored = match state
        .vault
        .open_text(PUSH_SUBSCRIPTION, &subscription.body)
        .map_err(anyhow::Error::from)
        .and_then(|json| Ok(serde_json::from_str(&json)?))
    {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, push = %row.id, "push: subscription does not open, not sent");
            return drop_row(state, row.id).await;
        }
    };
    // The request's remaining life: the push service keeps it no longer.
    let ttl = (request.expires_at - now).num_seconds().max(1);
    match attempt(&state.push, &stored, row.approval_id, ttl).await {
        Outcome::Sent => drop_row(state, row.id).await,
        Outcome::Gone => {
            // Only the subscription that failed: the phone may have subscribed again meanwhile.
            push_subscription::Entity::delete_many()
                .filter(push_subscription::Column::DeviceId.eq(row.device_id))
                .filter(push_subscription::Column::Body.eq(subscription.body))
                .exec(&state.db)
                .await?;
            tracing::info!(push = %row.id, "push: subscription gone, removed");
            drop_row(state, row.id).await
        }
        Outcome::Refused(status) => {
            tracing::warn!(push = %row.id, status, "push: refused by the push service, dropped");
            drop_row(state, row.id).await
        }
        Outcome::Retry(after) => {
            let backoff = 1i64 << (row.attempts.clamp(0, 4));
            let wait = after.unwrap_or(0).max(backoff).min(MAX_BACKOFF);
            let next = now + chrono::Duration::seconds(wait);
            if next >= request.expires_at {
                tracing::warn!(push = %row.id, "push: not delivered before the request expired");
                return drop_row(state, row.id).await;
            }
            retry_at(state, row.id, next).await
        }
    }
}

/// Takes the row for this instance, in one statement: its `next_attempt_at` moves past now, so
/// no other instance's claim matches it until the lease ends. False: another instance has it.
async fn claim(state: &AppState, id: uuid::Uuid, now: DateTime<Utc>) -> anyhow::Result<bool> {
    use sea_orm::sea_query::ExprTrait;
    let claimed = push_outbox::Entity::update_many()
        .col_expr(push_outbox::Column::NextAttemptAt, Expr::value(now + LEASE))
        .col_expr(
            push_outbox::Column::Attempts,
            Expr::col(push_outbox::Column::Attempts).add(1),
        )
        .filter(push_outbox::Column::Id.eq(id))
        .filter(push_outbox::Column::NextAttemptAt.lte(now))
        .exec(&state.db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Encrypts the message for the phone and posts it.
async fn attempt(push: &Push, stored: &Stored, approval_id: uuid::Uuid, ttl: i64) -> Outcome {
    let prepared = (|| {
        let endpoint = url::Url::parse(&stored.endpoint).ok()?;
        let ua_public = web_push_native::p256::PublicKey::from_sec1_bytes(&stored.p256dh).ok()?;
        if stored.auth.len() != 16 {
            return None;
        }
        let auth = web_push_native::Auth::clone_from_slice(&stored.auth);
        let message = serde_json::to_vec(&PushMessage::ApprovalRequest { approval_id }).ok()?;
        let body = web_push_native::encrypt(message, &ua_public, &auth).ok()?;
        Some((endpoint, body))
    })();
    let Some((endpoint, body)) = prepared else {
        // Checked when the phone subscribed: only a corrupted row gets here.
        return Outcome::Refused(0);
    };
    // Real time, not the application clock: the push service checks `exp` against its own.
    let authorization = vapid::authorization(
        &push.key,
        &push.public_key,
        &endpoint,
        &push.contact,
        Utc::now(),
    );
    let sent = push
        .client
        .post(endpoint)
        .header("TTL", ttl.to_string())
        .header("Urgency", "high")
        .header("Content-Encoding", "aes128gcm")
        .header("Content-Type", "application/octet-stream")
        .header("Authorization", authorization)
        .body(body)
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            // Without the URL: it is the phone's capability.
            tracing::warn!(error = %e.without_url(), "push: push service unreachable, will retry");
            return Outcome::Retry(None);
        }
    };
    let status = response.status().as_u16();
    match status {
        200..=299 => Outcome::Sent,
        404 | 410 => Outcome::Gone,
        429 | 500..=599 => Outcome::Retry(retry_after(response.headers())),
        _ => Outcome::Refused(status),
    }
}

/// `Retry-After` in seconds (a date form is ignored: the backoff applies).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<i64> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

async fn drop_row(state: &AppState, id: uuid::Uuid) -> anyhow::Result<()> {
    push_outbox::Entity::delete_by_id(id)
        .exec(&state.db)
        .await?;
    Ok(())
}

async fn retry_at(state: &AppState, id: uuid::Uuid, at: DateTime<Utc>) -> anyhow::Result<()> {
    push_outbox::Entity::update_many()
        .col_expr(push_outbox::Column::NextAttemptAt, Expr::value(at))
        .filter(push_outbox::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    Ok(())
}
