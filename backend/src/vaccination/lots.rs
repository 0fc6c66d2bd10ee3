//! Vaccine lots of a structure, managed by its structure account (manager) or the
//! professionals who practise there. An expired or inactive lot can never be used.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::vaccination::{LotView, NewLot},
};

use super::access;
use crate::{
    audit::{self, Event},
    auth::session::Principal,
    entities::{vaccine_lot, vaccine_product},
    error::{AppError, AppResult},
    state::AppState,
};

/// Whether this principal manages the structure's lots.
pub async fn manages(
    db: &impl ConnectionTrait,
    principal: &Principal,
    structure_id: Uuid,
) -> AppResult<bool> {
    Ok(match principal {
        Principal::Account { account, .. } => account.structure_id == structure_id,
        Principal::Professional(p) => {
            access::structures_of(db, p.id)
                .await?
                .contains(&structure_id)
                || crate::delegation::structures::is_manager(db, p.id, structure_id).await?
        }
        // Delegates record with the lots of the day; they do not manage them.
        Principal::Delegate { .. } => false,
    })
}

async fn check(
    db: &impl ConnectionTrait,
    principal: &Principal,
    structure_id: Uuid,
) -> AppResult<()> {
    if manages(db, principal, structure_id).await? {
        Ok(())
    } else {
        // Another structure's lots do not exist for this user.
        Err(ErrorCode::NotFound.into())
    }
}

pub async fn list_of(db: &impl ConnectionTrait, structure_id: Uuid) -> AppResult<Vec<LotView>> {
    let products: std::collections::HashMap<Uuid, String> = vaccine_product::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    Ok(vaccine_lot::Entity::find()
        .filter(vaccine_lot::Column::StructureId.eq(structure_id))
        .order_by_asc(vaccine_lot::Column::ExpiresOn)
        .all(db)
        .await?
        .into_iter()
        .map(|l| LotView {
            id: l.id,
            product_code: products.get(&l.product_id).cloned().unwrap_or_default(),
            number: l.number,
            expires_on: l.expires_on,
            active: l.active,
        })
        .collect())
}

pub async fn list(
    state: &AppState,
    principal: &Principal,
    structure_id: Uuid,
) -> AppResult<Vec<LotView>> {
    check(&state.db, principal, structure_id).await?;
    list_of(&state.db, structure_id).await
}

pub async fn create(
    state: &AppState,
    principal: &Principal,
    session_id: Uuid,
    structure_id: Uuid,
    new: &NewLot,
) -> AppResult<LotView> {
    check(&state.db, principal, structure_id).await?;
    let now = state.now();
    let number = new.number.trim().to_uppercase();
    if number.is_empty()
        || number.len() > 30
        || !number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            "Numéro de lot : 1 à 30 lettres, chiffres ou tirets.",
        ));
    }
    let today: NaiveDate = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    if new.expires_on < today {
        return Err(AppError::with_message(
            ErrorCode::LotUnusable,
            "Ce lot est déjà périmé : il ne peut pas être ajouté.",
        ));
    }
    let product = vaccine_product::Entity::find()
        .filter(vaccine_product::Column::Code.eq(&new.product_code))
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            AppError::with_message(ErrorCode::InvalidInput, "Ce vaccin n'est pas au catalogue.")
        })?;
    let exists = vaccine_lot::Entity::find()
        .filter(vaccine_lot::Column::StructureId.eq(structure_id))
        .filter(vaccine_lot::Column::ProductId.eq(product.id))
        .filter(vaccine_lot::Column::Number.eq(&number))
        .one(&state.db)
        .await?;
    if exists.is_some() {
        return Err(AppError::with_message(
            ErrorCode::Conflict,
            "Ce lot est déjà enregistré.",
        ));
    }
    let txn = crate::audit::begin_write(&state.db).await?;
    let lot = vaccine_lot::ActiveModel {
        id: Set(Uuid::new_v4()),
        structure_id: Set(structure_id),
        product_id: Set(product.id),
        number: Set(number),
        expires_on: Set(new.expires_on),
        active: Set(true),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        Event::new("lot.created")
            .actor(principal.id())
            .session(session_id)
            .subject(lot.id),
    )
    .await?;
    crate::audit::commit(txn, &state.db).await?;
    Ok(LotView {
        id: lot.id,
        product_code: product.code,
        number: lot.number,
        expires_on: lot.expires_on,
        active: lot.active,
    })
}

pub async fn set_active(
    state: &AppState,
    principal: &Principal,
    session_id: Uuid,
    lot_id: Uuid,
    active: bool,
) -> AppResult<LotView> {
    let lot = vaccine_lot::Entity::find_by_id(lot_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    check(&state.db, principal, lot.structure_id).await?;
    let now = state.now();
    let txn = crate::audit::begin_write(&state.db).await?;
    let mut row = lot.into_active_model();
    row.active = Set(active);
    let lot = row.update(&txn).await?;
    audit::record(
        &txn,
        now,
        Event::new(if active {
            "lot.activated"
        } else {
            "lot.deactivated"
        })
        .actor(principal.id())
        .session(session_id)
        .subject(lot.id),
    )
    .await?;
    crate::audit::commit(txn, &state.db).await?;
    list_of(&state.db, lot.structure_id)
        .await?
        .into_iter()
        .find(|l| l.id == lot.id)
        .ok_or_else(|| AppError::internal("lot vanished"))
}
