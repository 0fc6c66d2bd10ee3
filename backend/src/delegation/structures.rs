//! Structures (FINESS, name, address, opening hours) and who manages them: the structure's
//! password account (second factor done), or a professional named manager (passkey sign-in).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::delegation::{StructureDetails, StructureUpdate},
};

use crate::work::{Actor, DomainEvent, Work};
use crate::{
    access::{managed_ids, works_in},
    audit::{self, Event},
    auth::session::Principal,
    entities::{structure, structure_manager},
    error::{AppError, AppResult},
    state::AppState,
};

/// Names a professional manager of a structure (operator command `grant-structure-manager`):
/// from then on, signed in with their passkey, they declare and withdraw its staff.
pub async fn grant_manager(
    db: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
    national_id: &vigie_shared::NationalId,
    finess: &vigie_shared::Finess,
) -> AppResult<(String, String)> {
    use crate::entities::professional;
    let p = professional::Entity::find()
        .filter(professional::Column::NationalId.eq(national_id.as_str()))
        .one(db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    let s = structure::Entity::find()
        .filter(structure::Column::Finess.eq(finess.as_str()))
        .one(db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    let txn = audit::begin_write(db).await?;
    structure_manager::Entity::insert(structure_manager::ActiveModel {
        professional_id: Set(p.id),
        structure_id: Set(s.id),
    })
    .on_conflict_do_nothing_on([
        structure_manager::Column::ProfessionalId,
        structure_manager::Column::StructureId,
    ])
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        Event::new("structure.manager_granted")
            .subject(s.id)
            .details(serde_json::json!({ "professional": p.id })),
    )
    .await?;
    crate::audit::commit(txn).await?;
    Ok((crate::auth::session::display_name(&p), s.name))
}

/// The structure if this principal manages it. Someone who practises there but does not manage
/// it is told no (403); for anyone else it does not exist (404).
pub async fn managed(
    db: &impl ConnectionTrait,
    principal: &Principal,
    structure_id: Uuid,
) -> AppResult<structure::Model> {
    if managed_ids(db, principal).await?.contains(&structure_id) {
        return find(db, structure_id).await;
    }
    if works_in(db, principal, structure_id).await? {
        return Err(ErrorCode::Forbidden.into());
    }
    Err(ErrorCode::NotFound.into())
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<structure::Model> {
    structure::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))
}

fn details(s: structure::Model, can_manage: bool) -> StructureDetails {
    StructureDetails {
        opening_hours: crate::directory::hours::opening_hours(&s),
        id: s.id,
        finess: s.finess,
        name: s.name,
        kind: s.kind,
        address: s.address,
        can_manage,
    }
}

pub async fn list_managed(
    state: &AppState,
    principal: &Principal,
) -> AppResult<Vec<StructureDetails>> {
    let ids = managed_ids(&state.db, principal).await?;
    Ok(structure::Entity::find()
        .filter(structure::Column::Id.is_in(ids))
        .order_by_asc(structure::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| details(s, true))
        .collect())
}

pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> AppResult<StructureDetails> {
    let manages = managed_ids(&state.db, principal).await?.contains(&id);
    if !manages && !works_in(&state.db, principal, id).await? {
        return Err(ErrorCode::NotFound.into());
    }
    Ok(details(find(&state.db, id).await?, manages))
}

pub async fn update(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    body: StructureUpdate,
) -> AppResult<StructureDetails> {
    let row = managed(&state.db, principal, id).await?;
    body.opening_hours
        .check()
        .map_err(|m| AppError::with_message(ErrorCode::InvalidInput, m))?;
    let address = super::text_field(&body.address, "Adresse", 200)?;
    let mut work = Work::begin(state, Actor::by(principal.id())).await?;
    let mut active = row.into_active_model();
    active.address = Set(address);
    active.opening_hours =
        Set(serde_json::to_string(&body.opening_hours).map_err(AppError::internal)?);
    let row = active.update(work.db()).await?;
    work.emit(DomainEvent::StructureUpdated { structure: id });
    work.commit().await?;
    Ok(details(row, true))
}
