//! Délégation de saisie (PRODUCT.md "Delegation"). Structures and their managers declare staff
//! (`structures`, `staff`); staff hold passkeys of their own (`passkeys`); a professional
//! chooses delegates (`delegates`); a delegated session is asked from the tablet and approved
//! on the professional's phone with the push flow (`request`); the professional watches it,
//! ends it, contests entries (`supervision`). Every check is here, on the server.

pub mod delegates;
pub mod passkeys;
pub mod request;
pub mod staff;
pub mod structures;
pub mod supervision;

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::{delegation::DelegatedSessionEnded, session::SessionEnded},
};

use crate::{
    audit::{self, Event},
    auth::session::{self, Authenticated, Current, Principal},
    entities::{professional, session as session_row, staff_member, structure},
    error::{AppError, AppResult},
    events,
    state::AppState,
};

/// A staff member's live session on a tablet, approved or not yet.
pub struct DelegateSession {
    pub current: Current,
    pub staff: staff_member::Model,
    pub structure: structure::Model,
    pub authority: Option<professional::Model>,
}

impl FromRequestParts<AppState> for DelegateSession {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Authenticated(current) = Authenticated::from_request_parts(parts, state).await?;
        match current.principal.clone() {
            Principal::Delegate {
                staff,
                structure,
                authority,
            } => Ok(Self {
                current,
                staff,
                structure,
                authority,
            }),
            _ => Err(ErrorCode::Forbidden.into()),
        }
    }
}

/// Why a delegated session ended, as the tablet is told.
#[derive(Debug, Clone, Copy)]
pub enum EndReason {
    ByAuthority,
    DelegationWithdrawn,
    StaffWithdrawn,
}

impl EndReason {
    fn code(self) -> &'static str {
        match self {
            Self::ByAuthority => "ended_by_authority",
            Self::DelegationWithdrawn => "delegation_withdrawn",
            Self::StaffWithdrawn => "staff_withdrawn",
        }
    }
    fn message(self) -> &'static str {
        match self {
            Self::ByAuthority => {
                "Le professionnel responsable a terminé cette session de saisie déléguée."
            }
            Self::DelegationWithdrawn => {
                "Le professionnel responsable vous a retiré l'autorisation de saisir sous sa responsabilité."
            }
            Self::StaffWithdrawn => "La structure vous a retiré la délégation de saisie.",
        }
    }
}

/// Ends the open delegated sessions of this staff member (under this professional only, when
/// given): each tablet hears it at once, each supervision screen too, each end is audited.
pub async fn end_sessions(
    state: &AppState,
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    staff_member_id: Uuid,
    professional_id: Option<Uuid>,
    reason: EndReason,
    by: Uuid,
) -> AppResult<usize> {
    let mut query = session_row::Entity::find()
        .filter(session_row::Column::StaffMemberId.eq(staff_member_id))
        .filter(session_row::Column::EndedAt.is_null());
    if let Some(p) = professional_id {
        query = query.filter(session_row::Column::ProfessionalId.eq(p));
    }
    let open = query.all(txn).await?;
    for s in &open {
        end_one(state, txn, now, s, reason, by).await?;
    }
    Ok(open.len())
}

/// Ends one delegated session (any stage) and says so live.
pub async fn end_one(
    state: &AppState,
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    s: &session_row::Model,
    reason: EndReason,
    by: Uuid,
) -> AppResult<()> {
    session::end(txn, now, s.id).await?;
    state
        .events
        .publish(
            txn,
            now,
            events::session_channel(s.id),
            "session_ended",
            &SessionEnded {
                reason: Some(reason.code().into()),
                message: Some(reason.message().into()),
            },
        )
        .await?;
    if let Some(p) = s.professional_id {
        state
            .events
            .publish(
                txn,
                now,
                events::supervision_channel(p),
                "delegated_session_ended",
                &DelegatedSessionEnded {
                    session_id: s.id,
                    ended_at: now,
                },
            )
            .await?;
    }
    let mut event = Event::new("delegation.session_ended")
        .session(s.id)
        .details(serde_json::json!({ "reason": reason.code() }));
    event.actor = Some(by.to_string());
    event.authority = s.professional_id.map(|p| p.to_string());
    if let Some(t) = s.terminal_id {
        event = event.terminal(t);
    }
    audit::record(txn, now, event).await.map(|_| ())
}

/// Trims a name-like field; a French message when empty or too long.
pub(crate) fn text_field(value: &str, label: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            format!("{label} : champ obligatoire ({max} caractères au plus)."),
        ));
    }
    Ok(v.to_owned())
}
