//! Who may do what on which object: every feature asks here, none decides on its own.
//!
//! Who sees which patient: a professional sees the patients they — or staff typing under their authority — vaccinated
//! or consulted, and the patients seen in the structures where they practise. Typing a
//! patient's full NIR (the patient is in front of you) opens that file for the rest of the
//! session, and is audited. Nobody else, and nothing by URL.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::ExprTrait,
};
use uuid::Uuid;

use axum::{extract::FromRequestParts, http::request::Parts};
use vigie_shared::ErrorCode;

use crate::{
    auth::session::{self, Authenticated, Principal},
    entities::{
        consultation, delegation, injection, patient_access, practice, staff_member, structure,
        structure_manager,
    },
    error::AppResult,
    state::AppState,
};

/// Whoever records: the responsible professional, in a session, maybe through a delegate.
#[derive(Debug, Clone)]
pub struct Actor {
    pub professional_id: Uuid,
    pub professional_name: String,
    pub session_id: Uuid,
    /// The staff member typing under delegation.
    pub staff_member_id: Option<Uuid>,
    pub typist_name: Option<String>,
    pub terminal_id: Option<Uuid>,
    /// A delegated session is bound to one structure: the delegate sees and records there only.
    pub structure_scope: Option<Uuid>,
}

impl Actor {
    /// Who acts, for the unit of work: the typist, under the professional's authority.
    pub fn acting(&self) -> crate::work::Actor {
        crate::work::Actor {
            id: Some(self.staff_member_id.unwrap_or(self.professional_id)),
            authority: Some(self.professional_id),
            session: Some(self.session_id),
            terminal: self.terminal_id,
        }
    }

    /// The structures this actor works in: the delegated session's one, or the professional's.
    pub async fn structures(&self, db: &impl ConnectionTrait) -> AppResult<Vec<Uuid>> {
        match self.structure_scope {
            Some(s) => Ok(vec![s]),
            None => structures_of(db, self.professional_id).await,
        }
    }
}

/// Whoever may record: a signed-in professional, or a delegate inside a delegated session the
/// professional approved (refused with `delegation_required` before that approval). Structure
/// accounts never touch patients.
impl FromRequestParts<AppState> for Actor {
    type Rejection = crate::error::AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Authenticated(current) = Authenticated::from_request_parts(parts, state).await?;
        let s = &current.session;
        match current.principal {
            Principal::Professional(p) => Ok(Actor {
                professional_id: p.id,
                professional_name: session::display_name(&p),
                session_id: s.id,
                staff_member_id: None,
                typist_name: None,
                terminal_id: s.terminal_id,
                structure_scope: None,
            }),
            Principal::Delegate {
                staff,
                authority: Some(p),
                ..
            } => {
                // Checked on every request: the delegation may have changed since approval.
                if !delegation_allowed(&state.db, p.id, &staff).await? {
                    return Err(ErrorCode::DelegationNotAllowed.into());
                }
                Ok(Actor {
                    professional_id: p.id,
                    professional_name: session::display_name(&p),
                    session_id: s.id,
                    staff_member_id: Some(staff.id),
                    typist_name: Some(session::staff_name(&staff)),
                    terminal_id: s.terminal_id,
                    structure_scope: Some(staff.structure_id),
                })
            }
            Principal::Delegate { .. } => Err(ErrorCode::DelegationRequired.into()),
            Principal::Account { .. } => Err(ErrorCode::Forbidden.into()),
        }
    }
}

pub async fn structures_of(
    db: &impl ConnectionTrait,
    professional_id: Uuid,
) -> AppResult<Vec<Uuid>> {
    Ok(practice::Entity::find()
        .filter(practice::Column::ProfessionalId.eq(professional_id))
        .select_only()
        .column(practice::Column::StructureId)
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// The structure `id`, if the actor works there (the delegated session's one, or one where the
/// professional practises); `None` otherwise.
pub async fn structure_worked_in(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Option<structure::Model>> {
    let found = structure::Entity::find_by_id(id);
    let found = match actor.structure_scope {
        Some(scope) if scope != id => return Ok(None),
        Some(_) => found,
        None => found.filter(
            structure::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(practice::Column::StructureId)
                    .from(practice::Entity)
                    .and_where(practice::Column::ProfessionalId.eq(actor.professional_id))
                    .to_owned(),
            ),
        ),
    };
    Ok(found.one(db).await?)
}

pub async fn can_see(
    db: &impl ConnectionTrait,
    actor: &Actor,
    patient_id: Uuid,
) -> AppResult<bool> {
    let structures = actor.structures(db).await?;
    can_see_from(db, actor, &structures, patient_id).await
}

/// `can_see` with the actor's structures already known (one lookup for many patients).
pub async fn can_see_from(
    db: &impl ConnectionTrait,
    actor: &Actor,
    structures: &[Uuid],
    patient_id: Uuid,
) -> AppResult<bool> {
    // A delegate sees the patients of the session's structure, not the professional's others.
    let own = actor.structure_scope.is_none();
    let by_injection = injection::Entity::find()
        .filter(injection::Column::PatientId.eq(patient_id))
        .filter(
            injection::Column::ProfessionalId
                .eq(actor.professional_id)
                .and(own)
                .or(injection::Column::StructureId.is_in(structures.iter().copied())),
        )
        .count(db)
        .await?;
    if by_injection > 0 {
        return Ok(true);
    }
    let by_consultation = consultation::Entity::find()
        .filter(consultation::Column::PatientId.eq(patient_id))
        .filter(
            consultation::Column::ProfessionalId
                .eq(actor.professional_id)
                .and(own)
                .or(consultation::Column::StructureId.is_in(structures.iter().copied())),
        )
        .count(db)
        .await?;
    if by_consultation > 0 {
        return Ok(true);
    }
    Ok(
        patient_access::Entity::find_by_id((actor.session_id, patient_id))
            .one(db)
            .await?
            .is_some(),
    )
}

/// Whether this professional lets this staff member type for them now, and practises in the
/// staff member's structure.
pub async fn delegation_allowed(
    db: &impl ConnectionTrait,
    professional_id: Uuid,
    s: &staff_member::Model,
) -> AppResult<bool> {
    if s.withdrawn_at.is_some() {
        return Ok(false);
    }
    let grant = delegation::Entity::find_by_id((professional_id, s.id))
        .one(db)
        .await?;
    Ok(grant.is_some_and(|g| g.withdrawn_at.is_none())
        && structures_of(db, professional_id)
            .await?
            .contains(&s.structure_id))
}

/// Named manager of the structure (operator command `grant-structure-manager`).
pub async fn is_manager(
    db: &impl ConnectionTrait,
    professional_id: Uuid,
    structure_id: Uuid,
) -> AppResult<bool> {
    Ok(
        structure_manager::Entity::find_by_id((professional_id, structure_id))
            .one(db)
            .await?
            .is_some(),
    )
}

/// The structures this principal manages.
pub async fn managed_ids(db: &impl ConnectionTrait, principal: &Principal) -> AppResult<Vec<Uuid>> {
    Ok(match principal {
        Principal::Account { account, .. } => vec![account.structure_id],
        Principal::Professional(p) => {
            structure_manager::Entity::find()
                .filter(structure_manager::Column::ProfessionalId.eq(p.id))
                .select_only()
                .column(structure_manager::Column::StructureId)
                .into_tuple::<Uuid>()
                .all(db)
                .await?
        }
        Principal::Delegate { .. } => Vec::new(),
    })
}

/// Practises there (professional) or is declared there (staff).
pub async fn works_in(
    db: &impl ConnectionTrait,
    principal: &Principal,
    structure_id: Uuid,
) -> AppResult<bool> {
    Ok(match principal {
        Principal::Professional(p) => structures_of(db, p.id).await?.contains(&structure_id),
        Principal::Delegate { staff, .. } => staff.structure_id == structure_id,
        Principal::Account { .. } => false,
    })
}

/// Whether this principal manages the structure's lots.
pub async fn manages_lots(
    db: &impl ConnectionTrait,
    principal: &Principal,
    structure_id: Uuid,
) -> AppResult<bool> {
    Ok(match principal {
        Principal::Account { account, .. } => account.structure_id == structure_id,
        Principal::Professional(p) => {
            structures_of(db, p.id).await?.contains(&structure_id)
                || is_manager(db, p.id, structure_id).await?
        }
        // Delegates record with the lots of the day; they do not manage them.
        Principal::Delegate { .. } => false,
    })
}

/// Staff members' names as screens show them ("Marie Dupont"), by id.
pub async fn typist_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    Ok(staff_member::Entity::find()
        .filter(staff_member::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, session::staff_name(&s)))
        .collect())
}
