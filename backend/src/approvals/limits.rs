//! Push-bombing limits. An RPPS number is public, so anyone can ask: at most 1 pending request
//! per identity, 3 per 10 minutes, 10 per hour, and a cap per IP across identities. 5 refused or
//! expired requests in a row freeze push sign-in for 15 minutes; the freeze doubles from one
//! run to the next only when the run holds a refusal by the phone (its owner saw requests he
//! did not make): unanswered requests alone — all a stranger who knows the RPPS can produce —
//! never freeze for more than 15 minutes at a time. "Ce n'est pas moi" freezes it for 24 h.
//! Limits count unknown identifiers the same way (they reveal nothing), and never touch passkey
//! sign-in.
//!
//! Delegation requests (a signed-in staff member asking to type under a professional's
//! authority) have budgets of their own — per delegate and per professional — so secretaries
//! starting together never use up the professional's own sign-in budget, nor the reverse.
//! Every refusal says when to retry (Paris time).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, sea_query::OnConflict,
};
use uuid::Uuid;
use vigie_shared::{ApiError, ErrorCode};

use crate::{
    entities::{approval_request, push_freeze},
    error::{AppError, AppResult},
};

pub const MAX_PENDING: u64 = 1;
pub const MAX_PER_10_MIN: u64 = 3;
pub const MAX_PER_HOUR: u64 = 10;
/// One delegate: one request at a time, and the professional's own pace.
pub const DELEGATE_MAX_PENDING: u64 = 1;
pub const DELEGATE_MAX_PER_10_MIN: u64 = 3;
pub const DELEGATE_MAX_PER_HOUR: u64 = 10;
/// All delegates of one professional together: a team starting its day at once.
pub const DELEGATED_MAX_PENDING: u64 = 5;
pub const DELEGATED_MAX_PER_10_MIN: u64 = 10;
pub const DELEGATED_MAX_PER_HOUR: u64 = 30;
pub const FAILURES_BEFORE_FREEZE: i32 = 5;
pub const FIRST_FREEZE: Duration = Duration::minutes(15);
pub const REPORT_FREEZE: Duration = Duration::hours(24);

/// Why a freeze was set by "Ce n'est pas moi" (stored in `push_freeze.reason`).
const REPORT_REASON: &str = "signalement « Ce n'est pas moi »";

const TEN_MINUTES: Duration = Duration::minutes(10);
const HOUR: Duration = Duration::hours(1);

/// "réessayez à 08:07" (Paris time; the day too when it is not today in Paris).
fn retry_at(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let local = vigie_shared::paris::from_utc(at);
    if vigie_shared::paris::from_utc(now).date() == local.date() {
        format!("réessayez à {}", local.format("%H:%M"))
    } else {
        format!("réessayez le {}", local.format("%d/%m à %H:%M"))
    }
}

fn limited(message: String) -> AppError {
    AppError::Api(ApiError::new(ErrorCode::RateLimited, message))
}

/// Who asks for a push approval.
#[derive(Debug, Clone, Copy)]
pub enum Asker {
    /// Someone signing in as the professional (from a hall terminal).
    Own,
    /// A signed-in staff member asking to type under the professional's authority.
    Delegate(Uuid),
}

/// The request rows of one budget.
fn budget(national_id: &str, asker: Asker) -> Select<approval_request::Entity> {
    let rows = approval_request::Entity::find();
    match asker {
        Asker::Own => rows
            .filter(approval_request::Column::NationalId.eq(national_id))
            .filter(approval_request::Column::StaffMemberId.is_null()),
        Asker::Delegate(staff) => rows.filter(approval_request::Column::StaffMemberId.eq(staff)),
    }
}

/// All delegates' requests to one professional.
fn delegated_to(national_id: &str) -> Select<approval_request::Entity> {
    approval_request::Entity::find()
        .filter(approval_request::Column::NationalId.eq(national_id))
        .filter(approval_request::Column::StaffMemberId.is_not_null())
}

/// When a budget of `max` requests per `window` has room again: the moment the oldest request
/// that keeps it full leaves the window. `None` while it has room.
async fn full_until(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    rows: Select<approval_request::Entity>,
    max: u64,
    window: Duration,
) -> AppResult<Option<DateTime<Utc>>> {
    let recent = rows.filter(approval_request::Column::CreatedAt.gt(now - window));
    let count = recent.clone().count(db).await?;
    if count < max {
        return Ok(None);
    }
    let keeps_full: Option<DateTime<Utc>> = recent
        .select_only()
        .column(approval_request::Column::CreatedAt)
        .order_by_asc(approval_request::Column::CreatedAt)
        .offset(count - max)
        .into_tuple()
        .one(db)
        .await?;
    Ok(Some(keeps_full.unwrap_or(now) + window))
}

/// When the first of the pending requests of these rows ends, if `max` are pending.
async fn pending_until(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    rows: Select<approval_request::Entity>,
    max: u64,
) -> AppResult<Option<DateTime<Utc>>> {
    let pending = rows
        .filter(approval_request::Column::Status.eq("pending"))
        .filter(approval_request::Column::ExpiresAt.gt(now));
    if pending.clone().count(db).await? < max {
        return Ok(None);
    }
    let first_end: Option<DateTime<Utc>> = pending
        .select_only()
        .column(approval_request::Column::ExpiresAt)
        .order_by_asc(approval_request::Column::ExpiresAt)
        .into_tuple()
        .one(db)
        .await?;
    Ok(Some(first_end.unwrap_or(now)))
}

/// The later of two moments a budget is full until.
async fn window_limits(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    rows: &Select<approval_request::Entity>,
    per_10_min: u64,
    per_hour: u64,
) -> AppResult<Option<DateTime<Utc>>> {
    let ten = full_until(db, now, rows.clone(), per_10_min, TEN_MINUTES).await?;
    let hour = full_until(db, now, rows.clone(), per_hour, HOUR).await?;
    Ok(ten.max(hour))
}

/// Refuses a new request when a limit is reached (same answers whether the identity exists).
/// The caller holds the identity's guard (and the delegate's), so the counts read here are the
/// ones this request adds to.
pub async fn check_request_allowed(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    national_id: &str,
    asker: Asker,
    ip: &str,
    max_per_ip: u64,
) -> AppResult<()> {
    let mine = budget(national_id, asker);
    match asker {
        Asker::Own => {
            if let Some(until) = pending_until(db, now, mine.clone(), MAX_PENDING).await? {
                return Err(limited(format!(
                    "Une demande est déjà en attente pour cet identifiant : validez-la, annulez-la ou attendez son expiration ({}).",
                    retry_at(now, until)
                )));
            }
            if let Some(until) = window_limits(db, now, &mine, MAX_PER_10_MIN, MAX_PER_HOUR).await?
            {
                return Err(limited(format!(
                    "Trop de demandes pour cet identifiant : {}, ou connectez-vous avec votre clé d'accès.",
                    retry_at(now, until)
                )));
            }
        }
        Asker::Delegate(_) => {
            if let Some(until) = pending_until(db, now, mine.clone(), DELEGATE_MAX_PENDING).await? {
                return Err(limited(format!(
                    "Votre demande précédente est encore en attente : attendez la réponse, annulez-la ou {}.",
                    retry_at(now, until)
                )));
            }
            if let Some(until) = window_limits(
                db,
                now,
                &mine,
                DELEGATE_MAX_PER_10_MIN,
                DELEGATE_MAX_PER_HOUR,
            )
            .await?
            {
                return Err(limited(format!(
                    "Vous avez envoyé trop de demandes : {}.",
                    retry_at(now, until)
                )));
            }
            let team = delegated_to(national_id);
            let pending = pending_until(db, now, team.clone(), DELEGATED_MAX_PENDING).await?;
            let window = window_limits(
                db,
                now,
                &team,
                DELEGATED_MAX_PER_10_MIN,
                DELEGATED_MAX_PER_HOUR,
            )
            .await?;
            if let Some(until) = pending.max(window) {
                return Err(limited(format!(
                    "Ce professionnel a reçu trop de demandes de saisie déléguée : {}.",
                    retry_at(now, until)
                )));
            }
        }
    }
    let from_ip = approval_request::Entity::find().filter(approval_request::Column::Ip.eq(ip));
    if let Some(until) = full_until(db, now, from_ip, max_per_ip, TEN_MINUTES).await? {
        return Err(limited(format!(
            "Trop de demandes depuis ce poste : {}.",
            retry_at(now, until)
        )));
    }
    Ok(())
}

pub async fn frozen_until(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    national_id: &str,
) -> AppResult<Option<DateTime<Utc>>> {
    let row = push_freeze::Entity::find_by_id(national_id.to_owned())
        .one(db)
        .await?;
    Ok(row
        .and_then(|r| r.frozen_until)
        .filter(|until| *until > now))
}

/// The identity's current suspension, as its phone explains it: until when, and whether it
/// follows a "Ce n'est pas moi" report (else repeated failures).
pub async fn current_freeze(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    national_id: &str,
) -> AppResult<Option<(DateTime<Utc>, bool)>> {
    let row = push_freeze::Entity::find_by_id(national_id.to_owned())
        .one(db)
        .await?;
    Ok(row.and_then(|r| {
        let until = r.frozen_until.filter(|until| *until > now)?;
        Some((until, r.reason == REPORT_REASON))
    }))
}

/// The identity's freeze row, created when missing and locked until commit (the upsert takes
/// the row lock on PostgreSQL; SQLite has one writer): the counter read next is the one this
/// transaction writes back, whatever runs in parallel.
async fn row(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    national_id: &str,
) -> AppResult<push_freeze::Model> {
    push_freeze::Entity::insert(push_freeze::ActiveModel {
        national_id: Set(national_id.to_owned()),
        frozen_until: Set(None),
        reason: Set(String::new()),
        consecutive_failures: Set(0),
        level: Set(0),
        refused_in_run: Set(false),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(push_freeze::Column::NationalId)
            .update_column(push_freeze::Column::UpdatedAt)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    push_freeze::Entity::find_by_id(national_id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("push_freeze row missing"))
}

/// A refused or expired request. Returns the new freeze end when this one triggered a freeze.
/// How a push request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Nobody answered within its lifetime: anyone who knows the RPPS can cause it.
    Unanswered,
    /// The phone refused it ("Quitter l'authentification", or wrong codes typed on it).
    Refused,
}

pub async fn record_failure(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    national_id: &str,
    failure: Failure,
) -> AppResult<Option<DateTime<Utc>>> {
    let r = row(db, now, national_id).await?;
    let failures = r.consecutive_failures + 1;
    let refused = r.refused_in_run || failure == Failure::Refused;
    let level = r.level;
    let mut active = r.into_active_model();
    active.updated_at = Set(now);
    let frozen = if failures >= FAILURES_BEFORE_FREEZE {
        // A run the owner took part in escalates; one of unanswered requests does not.
        let (this, next) = if refused {
            (level, level + 1)
        } else {
            (0, level)
        };
        let until = now + FIRST_FREEZE * 2i32.pow(this.clamp(0, 10) as u32);
        active.frozen_until = Set(Some(until));
        active.reason = Set("échecs répétés".into());
        active.level = Set(next);
        active.consecutive_failures = Set(0);
        active.refused_in_run = Set(false);
        Some(until)
    } else {
        active.consecutive_failures = Set(failures);
        active.refused_in_run = Set(refused);
        None
    };
    active.update(db).await?;
    Ok(frozen)
}

/// An approved request: the run of failures is over.
pub async fn record_success(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    national_id: &str,
) -> AppResult<()> {
    let r = row(db, now, national_id).await?;
    let mut active = r.into_active_model();
    active.consecutive_failures = Set(0);
    active.level = Set(0);
    active.refused_in_run = Set(false);
    active.updated_at = Set(now);
    active.update(db).await?;
    Ok(())
}

/// "Ce n'est pas moi": push sign-in frozen 24 h for this identity.
pub async fn freeze_for_report(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    national_id: &str,
) -> AppResult<DateTime<Utc>> {
    let r = row(db, now, national_id).await?;
    let until = now + REPORT_FREEZE;
    let mut active = r.into_active_model();
    active.frozen_until = Set(Some(until));
    active.reason = Set(REPORT_REASON.into());
    active.consecutive_failures = Set(0);
    active.updated_at = Set(now);
    active.update(db).await?;
    Ok(until)
}
