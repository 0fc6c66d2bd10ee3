//! The tablet side of a delegated session: which professionals may be asked, and the request,
//! refused before any push when the staff member is not (or no longer) allowed.

use sea_orm::EntityTrait;
use vigie_shared::{
    ErrorCode, NationalId,
    api::{
        approval::ApprovalCreated,
        delegation::{AuthorityOption, DelegatedRequest},
    },
};

use super::{DelegateSession, delegates};
use crate::{
    approvals::service::{self, Delegated},
    auth::session,
    entities::{professional, terminal},
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

pub async fn create(
    state: &AppState,
    me: &DelegateSession,
    body: &DelegatedRequest,
    terminal: &terminal::Model,
    ip: &str,
) -> AppResult<ApprovalCreated> {
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
    let national_id = NationalId::parse(&p.national_id).map_err(AppError::internal)?;
    service::create(
        state,
        &national_id,
        terminal,
        ip,
        Some(Delegated {
            staff_member_id: me.staff.id,
            structure: me.structure.clone(),
            requested_by: session::staff_name(&me.staff),
            requester_session_id: me.current.session.id,
        }),
    )
    .await
}
