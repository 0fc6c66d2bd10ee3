//! The approver app's device binding: after activation (a passkey created on the phone), the
//! phone holds a long-lived random cookie naming it. The cookie only lets the phone see and
//! refuse requests; approving always takes the passkey with user verification.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, request::Parts},
};
use chrono::{DateTime, Utc};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;
use vigie_shared::ErrorCode;

use crate::{
    auth::tokens,
    config::Settings,
    entities::{approver_device, professional},
    error::{AppError, AppResult},
    http::cookies::{self, Jar},
    state::AppState,
};

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

/// The `Set-Cookie` value of an activated phone: kept 400 days (the longest a browser keeps one).
pub fn cookie_for(settings: &Settings, token: &str) -> String {
    cookies::set(
        settings,
        Jar::Approver,
        token,
        Some(cookie::time::Duration::days(400)),
    )
}

/// An activated phone and its professional.
#[derive(Debug, Clone)]
pub struct Approver {
    pub device: approver_device::Model,
    pub professional: professional::Model,
}

impl Approver {
    /// The activated phone this request comes from: `not_approver_device` when the browser holds
    /// no approver cookie, an unknown one, or one of a revoked phone.
    pub async fn of(headers: &HeaderMap, state: &AppState) -> AppResult<Self> {
        let token = cookies::read(headers, &state.settings, Jar::Approver)
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

impl FromRequestParts<AppState> for Approver {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Self::of(&parts.headers, state).await
    }
}
