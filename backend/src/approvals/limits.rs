//! Push-bombing limits. An RPPS number is public, so anyone can ask: at most 1 pending request
//! per identity, 3 per 10 minutes, 10 per hour, and a cap per IP across identities. 5 refused or
//! expired requests in a row freeze push sign-in for 15 minutes; the freeze doubles from one
//! run to the next only when the run holds a refusal by the phone (its owner saw requests he
//! did not make): unanswered requests alone — all a stranger who knows the RPPS can produce —
//! never freeze for more than 15 minutes at a time. "Ce n'est pas moi" freezes it for 24 h.
//! Limits count unknown identifiers the same way (they reveal nothing), and never touch passkey
//! sign-in.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, sea_query::OnConflict,
};
use vigie_shared::{ApiError, ErrorCode};

use crate::{
    entities::{approval_request, push_freeze},
    error::{AppError, AppResult},
};

pub const MAX_PENDING: u64 = 1;
pub const MAX_PER_10_MIN: u64 = 3;
pub const MAX_PER_HOUR: u64 = 10;
pub const FAILURES_BEFORE_FREEZE: i32 = 5;
pub const FIRST_FREEZE: Duration = Duration::minutes(15);
pub const REPORT_FREEZE: Duration = Duration::hours(24);

fn limited(message: &str) -> AppError {
    AppError::Api(ApiError::new(ErrorCode::RateLimited, message))
}

/// Refuses a new request when a limit is reached (same answers whether the identity exists).
pub async fn check_request_allowed(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    national_id: &str,
    ip: &str,
    max_per_ip: u64,
) -> AppResult<()> {
    let of_identity = || {
        approval_request::Entity::find()
            .filter(approval_request::Column::NationalId.eq(national_id))
    };
    let pending = of_identity()
        .filter(approval_request::Column::Status.eq("pending"))
        .filter(approval_request::Column::ExpiresAt.gt(now))
        .count(db)
        .await?;
    if pending >= MAX_PENDING {
        return Err(limited(
            "Une demande est déjà en attente pour cet identifiant : validez-la, annulez-la ou attendez son expiration.",
        ));
    }
    let last_10 = of_identity()
        .filter(approval_request::Column::CreatedAt.gt(now - Duration::minutes(10)))
        .count(db)
        .await?;
    let last_hour = of_identity()
        .filter(approval_request::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(db)
        .await?;
    if last_10 >= MAX_PER_10_MIN || last_hour >= MAX_PER_HOUR {
        return Err(limited(
            "Trop de demandes pour cet identifiant : réessayez plus tard, ou connectez-vous avec votre clé d'accès.",
        ));
    }
    let from_ip = approval_request::Entity::find()
        .filter(approval_request::Column::Ip.eq(ip))
        .filter(approval_request::Column::CreatedAt.gt(now - Duration::minutes(10)))
        .count(db)
        .await?;
    if from_ip >= max_per_ip {
        return Err(limited(
            "Trop de demandes depuis ce poste : réessayez dans quelques minutes.",
        ));
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
    active.reason = Set("signalement « Ce n'est pas moi »".into());
    active.consecutive_failures = Set(0);
    active.updated_at = Set(now);
    active.update(db).await?;
    Ok(until)
}
