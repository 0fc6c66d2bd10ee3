//! Enrolment tokens: one-time permission to create a passkey for a professional. Issued by an
//! operator command now, by the approver-app activation (mail + SMS) later. Only the hash is
//! stored; the token itself travels in a request body, never in a URL the server sees.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;
use vigie_shared::ErrorCode;

use super::tokens;
use crate::{
    entities::{enrolment, professional},
    error::AppResult,
};

pub const LIFETIME: Duration = Duration::minutes(30);

pub struct Issued {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn issue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    professional_id: Uuid,
    lifetime: Duration,
) -> AppResult<Issued> {
    let token = tokens::random_token(24);
    let expires_at = now + lifetime;
    enrolment::ActiveModel {
        id: Set(Uuid::new_v4()),
        token_hash: Set(tokens::hash(&token)),
        professional_id: Set(professional_id),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(Issued { token, expires_at })
}

/// The enrolment and its professional, when the token is known, unused and not expired.
pub async fn check(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    token: &str,
) -> AppResult<(enrolment::Model, professional::Model)> {
    let found = enrolment::Entity::find()
        .filter(enrolment::Column::TokenHash.eq(tokens::hash(token)))
        .one(db)
        .await?;
    let Some(e) = found.filter(|e| e.used_at.is_none() && e.expires_at > now) else {
        return Err(ErrorCode::EnrolmentInvalid.into());
    };
    let Some(p) = professional::Entity::find_by_id(e.professional_id)
        .one(db)
        .await?
    else {
        return Err(ErrorCode::EnrolmentInvalid.into());
    };
    Ok((e, p))
}

/// Marks the enrolment used; false when someone else used it first or it has expired since
/// the creation began (a link is good until its end, whatever the ceremony's own lifetime).
pub async fn consume(db: &impl ConnectionTrait, now: DateTime<Utc>, id: Uuid) -> AppResult<bool> {
    let result = enrolment::Entity::update_many()
        .col_expr(
            enrolment::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(enrolment::Column::Id.eq(id))
        .filter(enrolment::Column::UsedAt.is_null())
        .filter(enrolment::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
