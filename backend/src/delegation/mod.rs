//! Délégation de saisie. Structures and their managers declare staff
//! (`structures`, `staff`); staff hold passkeys of their own (`passkeys`); a professional
//! chooses delegates (`delegates`); a delegated session is asked from the tablet and approved
//! on the professional's phone with the push flow (`request`); the professional watches it,
//! ends it, contests entries (`supervision`). Every check is here, on the server.

pub mod delegates;
pub mod request;
pub mod staff;
pub mod structures;
pub mod supervision;

use axum::{extract::FromRequestParts, http::request::Parts};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use vigie_shared::ErrorCode;

use crate::{
    auth::session::{Authenticated, Current, Principal},
    entities::{professional, session as session_row, staff_member, structure},
    error::{AppError, AppResult},
    state::AppState,
    work::{SessionEnd, Work},
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

/// Ends the open delegated sessions of this staff member (under this professional only, when
/// given): each tablet hears it at once, each supervision screen too, each end is audited.
pub async fn end_sessions(
    work: &mut Work,
    staff_member_id: Uuid,
    professional_id: Option<Uuid>,
    reason: SessionEnd,
) -> AppResult<usize> {
    let mut query = session_row::Entity::find()
        .filter(session_row::Column::StaffMemberId.eq(staff_member_id))
        .filter(session_row::Column::EndedAt.is_null());
    if let Some(p) = professional_id {
        query = query.filter(session_row::Column::ProfessionalId.eq(p));
    }
    let open = query.all(work.db()).await?;
    let mut ended = 0;
    for s in &open {
        ended += usize::from(work.end_session(s, reason).await?);
    }
    Ok(ended)
}

/// Trims a name-like field; a French message when empty or too long.
/// A name or a role, shown on every screen and mail that names the person: `text_field`, and
/// no invisible or control character.
pub(crate) fn name_field(value: &str, label: &str, max: usize) -> AppResult<String> {
    if vigie_shared::text::has_hidden_characters(value) {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            format!(
                "{label} : caractère invisible ou de contrôle refusé (retour à la ligne, caractère de direction, espace de largeur nulle…)."
            ),
        ));
    }
    text_field(value, label, max)
}

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
