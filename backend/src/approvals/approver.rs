//! The approver app's device binding: after activation (a passkey created on the phone), the
//! phone holds a long-lived random cookie naming it. The cookie only lets the phone see and
//! refuse requests; approving always takes the passkey with user verification.

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::{DateTime, Utc};
use cookie::{Cookie, SameSite};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;
use vigie_shared::ErrorCode;

use crate::{
    auth::{session, tokens},
    config::Settings,
    entities::{approver_device, professional},
    error::{AppError, AppResult},
    state::AppState,
};

pub const COOKIE: &str = "vigie_approver";

pub async fn create(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    professional_id: Uuid,
    label: &str,
) -> AppResult<String> {
    let token = tokens::random_token(24);
    approver_device::ActiveModel {
        id: Set(Uuid::new_v4()),
        professional_id: Set(professional_id),
        token_hash: Set(tokens::hash(&token)),
        label: Set(label.to_owned()),
        created_at: Set(now),
        last_seen_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

pub fn cookie_for(settings: &Settings, token: &str) -> String {
    let mut c = Cookie::new(COOKIE, token.to_owned());
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_path("/");
    c.set_secure(!session::is_local(settings));
    c.set_max_age(cookie::time::Duration::days(400));
    c.to_string()
}

/// An activated phone and its professional.
#[derive(Debug, Clone)]
pub struct Approver {
    pub device: approver_device::Model,
    pub professional: professional::Model,
}

impl FromRequestParts<AppState> for Approver {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = session::cookie_value(&parts.headers, COOKIE)
            .ok_or(AppError::code(ErrorCode::NotApproverDevice))?;
        let device = approver_device::Entity::find()
            .filter(approver_device::Column::TokenHash.eq(tokens::hash(&token)))
            .filter(approver_device::Column::RevokedAt.is_null())
            .one(&state.db)
            .await?
            .ok_or(AppError::code(ErrorCode::NotApproverDevice))?;
        let professional = professional::Entity::find_by_id(device.professional_id)
            .one(&state.db)
            .await?
            .ok_or(AppError::code(ErrorCode::NotApproverDevice))?;
        Ok(Approver {
            device,
            professional,
        })
    }
}
