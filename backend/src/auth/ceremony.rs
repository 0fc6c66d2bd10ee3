//! WebAuthn ceremony state lives only on the server, in a short-lived row. `take` deletes the
//! row before its state is used, so a ceremony can be finished once at most.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;
use vigie_shared::ErrorCode;

use super::webauthn::CEREMONY_TIMEOUT;
use crate::{
    entities::webauthn_ceremony,
    error::{AppError, AppResult},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Registration,
    Authentication,
    /// Confirming a push approval request on the phone, after its code was given.
    Approval,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Registration => "registration",
            Kind::Authentication => "authentication",
            Kind::Approval => "approval",
        }
    }
}

pub struct Stored<S> {
    pub professional_id: Option<Uuid>,
    pub enrolment_id: Option<Uuid>,
    /// The approval request this ceremony confirms (kind `Approval` only).
    pub approval_id: Option<Uuid>,
    /// The staff member whose passkey this ceremony registers or checks (delegates).
    pub staff_member_id: Option<Uuid>,
    /// `None` for a decoy ceremony (unknown identifier): finishing it always fails.
    pub state: Option<S>,
}

pub async fn put<S: Serialize>(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    kind: Kind,
    stored: Stored<S>,
) -> AppResult<Uuid> {
    let id = Uuid::new_v4();
    let state = match stored.state {
        Some(s) => Some(serde_json::to_string(&s).map_err(AppError::internal)?),
        None => None,
    };
    webauthn_ceremony::ActiveModel {
        id: Set(id),
        kind: Set(kind.as_str().into()),
        professional_id: Set(stored.professional_id),
        enrolment_id: Set(stored.enrolment_id),
        state: Set(state),
        approval_id: Set(stored.approval_id),
        staff_member_id: Set(stored.staff_member_id),
        expires_at: Set(
            now + chrono::Duration::from_std(CEREMONY_TIMEOUT).map_err(AppError::internal)?
        ),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Removes the ceremony and returns it, if it exists, is of this kind and has not expired.
pub async fn take<S: DeserializeOwned>(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    kind: Kind,
    id: Uuid,
) -> AppResult<Stored<S>> {
    let Some(row) = webauthn_ceremony::Entity::find_by_id(id).one(db).await? else {
        return Err(ErrorCode::CeremonyExpired.into());
    };
    // Delete first and check it was us who deleted it: two concurrent finishes cannot both win.
    let deleted = webauthn_ceremony::Entity::delete_by_id(id).exec(db).await?;
    if deleted.rows_affected != 1 || row.kind != kind.as_str() || row.expires_at <= now {
        return Err(ErrorCode::CeremonyExpired.into());
    }
    let state = match row.state {
        Some(s) => Some(serde_json::from_str(&s).map_err(AppError::internal)?),
        None => None,
    };
    Ok(Stored {
        professional_id: row.professional_id,
        enrolment_id: row.enrolment_id,
        approval_id: row.approval_id,
        staff_member_id: row.staff_member_id,
        state,
    })
}
