//! "Mes paramètres": the professional chooses, among the declared staff of the structures where
//! they practise, who may type under their responsibility; withdrawing ends that person's open
//! sessions under them at once.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;
use vigie_shared::{ErrorCode, api::delegation::DelegateChoice};

use super::end_sessions;
use crate::work::{Actor, DomainEvent, SessionEnd, Work};
use crate::{
    access,
    entities::{delegation, professional, staff_member, structure},
    error::{AppError, AppResult},
    state::AppState,
};

fn choice(
    s: &staff_member::Model,
    st: Option<&structure::Model>,
    grant: Option<&delegation::Model>,
) -> DelegateChoice {
    let live = grant.filter(|g| g.withdrawn_at.is_none());
    DelegateChoice {
        staff_id: s.id,
        structure_id: s.structure_id,
        structure_name: st.map(|x| x.name.clone()).unwrap_or_default(),
        first_name: s.first_name.clone(),
        last_name: s.last_name.clone(),
        role: s.role.clone(),
        authorised: live.is_some(),
        authorised_since: live.map(|g| g.granted_at),
    }
}

pub async fn list(state: &AppState, p: &professional::Model) -> AppResult<Vec<DelegateChoice>> {
    let structures = access::structures_of(&state.db, p.id).await?;
    let names: Vec<structure::Model> = structure::Entity::find()
        .filter(structure::Column::Id.is_in(structures.iter().copied()))
        .all(&state.db)
        .await?;
    let staff = staff_member::Entity::find()
        .filter(staff_member::Column::StructureId.is_in(structures))
        .filter(staff_member::Column::WithdrawnAt.is_null())
        .order_by_asc(staff_member::Column::LastName)
        .order_by_asc(staff_member::Column::FirstName)
        .all(&state.db)
        .await?;
    let grants = delegation::Entity::find()
        .filter(delegation::Column::ProfessionalId.eq(p.id))
        .all(&state.db)
        .await?;
    Ok(staff
        .iter()
        .map(|s| {
            choice(
                s,
                names.iter().find(|n| n.id == s.structure_id),
                grants.iter().find(|g| g.staff_member_id == s.id),
            )
        })
        .collect())
}

/// A declared staff member of one of my structures (anyone else does not exist for me).
async fn my_staff(
    state: &AppState,
    p: &professional::Model,
    staff_id: Uuid,
) -> AppResult<staff_member::Model> {
    let structures = access::structures_of(&state.db, p.id).await?;
    staff_member::Entity::find_by_id(staff_id)
        .one(&state.db)
        .await?
        .filter(|s| s.withdrawn_at.is_none() && structures.contains(&s.structure_id))
        .ok_or(AppError::code(ErrorCode::NotFound))
}

async fn answer(
    state: &AppState,
    p: &professional::Model,
    s: &staff_member::Model,
) -> AppResult<DelegateChoice> {
    let st = structure::Entity::find_by_id(s.structure_id)
        .one(&state.db)
        .await?;
    let grant = delegation::Entity::find_by_id((p.id, s.id))
        .one(&state.db)
        .await?;
    Ok(choice(s, st.as_ref(), grant.as_ref()))
}

pub async fn authorise(
    state: &AppState,
    p: &professional::Model,
    staff_id: Uuid,
) -> AppResult<DelegateChoice> {
    let now: DateTime<Utc> = state.now();
    let s = my_staff(state, p, staff_id).await?;
    let current = delegation::Entity::find_by_id((p.id, s.id))
        .one(&state.db)
        .await?;
    // Already authorised: nothing changes (idempotent), the date stays the first one.
    if current.as_ref().is_none_or(|g| g.withdrawn_at.is_some()) {
        let mut work = Work::begin(state, Actor::by(p.id)).await?;
        delegation::Entity::insert(delegation::ActiveModel {
            professional_id: Set(p.id),
            staff_member_id: Set(s.id),
            granted_at: Set(now),
            withdrawn_at: Set(None),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                delegation::Column::ProfessionalId,
                delegation::Column::StaffMemberId,
            ])
            .update_columns([
                delegation::Column::GrantedAt,
                delegation::Column::WithdrawnAt,
            ])
            .to_owned(),
        )
        .exec(work.db())
        .await?;
        work.emit(DomainEvent::DelegationGranted { staff: s.id });
        work.commit().await?;
    }
    answer(state, p, &s).await
}

pub async fn withdraw(
    state: &AppState,
    p: &professional::Model,
    staff_id: Uuid,
) -> AppResult<DelegateChoice> {
    let now = state.now();
    let s = my_staff(state, p, staff_id).await?;
    let current = delegation::Entity::find_by_id((p.id, s.id))
        .one(&state.db)
        .await?;
    if current.is_some_and(|g| g.withdrawn_at.is_none()) {
        let mut work = Work::begin(state, Actor::by(p.id)).await?;
        delegation::Entity::update_many()
            .col_expr(
                delegation::Column::WithdrawnAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(delegation::Column::ProfessionalId.eq(p.id))
            .filter(delegation::Column::StaffMemberId.eq(s.id))
            .exec(work.db())
            .await?;
        let ended =
            end_sessions(&mut work, s.id, Some(p.id), SessionEnd::DelegationWithdrawn).await?;
        work.emit(DomainEvent::DelegationWithdrawn {
            staff: s.id,
            sessions_ended: ended,
        });
        work.commit().await?;
    }
    answer(state, p, &s).await
}

/// The professionals who let this staff member type for them, in the staff member's structure.
pub async fn authorities(
    state: &AppState,
    s: &staff_member::Model,
) -> AppResult<Vec<professional::Model>> {
    let grants = delegation::Entity::find()
        .filter(delegation::Column::StaffMemberId.eq(s.id))
        .filter(delegation::Column::WithdrawnAt.is_null())
        .all(&state.db)
        .await?;
    let mut out = Vec::new();
    for g in grants {
        // Still practising in the staff member's structure.
        if access::structures_of(&state.db, g.professional_id)
            .await?
            .contains(&s.structure_id)
            && let Some(p) = professional::Entity::find_by_id(g.professional_id)
                .one(&state.db)
                .await?
        {
            out.push(p);
        }
    }
    out.sort_by(|a, b| (&a.last_name, &a.first_name).cmp(&(&b.last_name, &b.first_name)));
    Ok(out)
}
