//! The tablet side of a delegated session: which professionals may be asked, and the request,
//! refused before any push when the staff member is not (or no longer) allowed.

use sea_orm::EntityTrait;
use vigie_shared::{
    ErrorCode, NationalId,
    api::delegation::{AuthorityOption, DelegatedRequest},
};

use super::{DelegateSession, delegates};
use crate::{
    auth::session,
    entities::professional,
    error::{AppError, AppResult},
    state::AppState,
};

pub async fn authorities(
    state: &AppState,
    me: &DelegateSession,
) -> AppResult<Vec<AuthorityOption>> {
    Ok(delegates::authorities(state, &me.staff)
        .await?
        .iter()
        .map(|p| AuthorityOption {
            professional_id: p.id,
            display_name: session::display_name(p),
        })
        .collect())
}

/// What a staff member's tablet asks: the professional to push the request to, and under
/// which delegation. Refused before any push when the staff member may not ask.
pub struct Ask {
    pub national_id: NationalId,
    pub staff_member_id: uuid::Uuid,
    pub structure: crate::entities::structure::Model,
    /// "Marie Durand", as the phone shows it.
    pub requested_by: String,
    /// The tablet session that asks, and will take the authority once approved.
    pub requester_session_id: uuid::Uuid,
}

pub async fn ask(
    state: &AppState,
    me: &DelegateSession,
    body: &DelegatedRequest,
) -> AppResult<Ask> {
    if me.authority.is_some() {
        return Err(AppError::with_message(
            ErrorCode::Conflict,
            "Cette session est déjà validée : fermez-la pour saisir sous la responsabilité d'un autre professionnel.",
        ));
    }
    // Undeclared, withdrawn, or not chosen by this professional: refused before any push.
    if !crate::access::delegation_allowed(&state.db, body.professional_id, &me.staff).await? {
        return Err(ErrorCode::DelegationNotAllowed.into());
    }
    let p = professional::Entity::find_by_id(body.professional_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::DelegationNotAllowed))?;
    Ok(Ask {
        national_id: NationalId::parse(&p.national_id).map_err(AppError::internal)?,
        staff_member_id: me.staff.id,
        structure: me.structure.clone(),
        requested_by: session::staff_name(&me.staff),
        requester_session_id: me.current.session.id,
    })
}
