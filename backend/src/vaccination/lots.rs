//! Vaccine lots of a structure, managed by its structure account (manager) or the
//! professionals who practise there — a professional's own practice holds their personal
//! stock. An expired, inactive or exhausted lot can never be used: each injection takes one
//! dose, and lost doses are declared as wastage.

use chrono::NaiveDate;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::vaccination::{LotView, LotWastage, NewLot},
};

use crate::{
    access,
    auth::session::Principal,
    entities::{lot_wastage, vaccine_lot, vaccine_product},
    error::{AppError, AppResult},
    state::AppState,
    work::{Actor, DomainEvent},
};

async fn check(
    db: &impl ConnectionTrait,
    principal: &Principal,
    structure_id: Uuid,
) -> AppResult<()> {
    if access::manages_lots(db, principal, structure_id).await? {
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
        .map(|l| {
            let code = products.get(&l.product_id).cloned().unwrap_or_default();
            lot_view(l, code)
        })
        .collect())
}

/// One lot as listed, read again after a change.
async fn view_of(
    db: &impl ConnectionTrait,
    structure_id: Uuid,
    lot_id: Uuid,
) -> AppResult<LotView> {
    list_of(db, structure_id)
        .await?
        .into_iter()
        .find(|l| l.id == lot_id)
        .ok_or_else(|| AppError::internal("lot vanished"))
}

pub fn lot_view(l: vaccine_lot::Model, product_code: String) -> LotView {
    LotView {
        id: l.id,
        product_code,
        number: l.number,
        expires_on: l.expires_on,
        active: l.active,
        doses_received: l.doses_received,
        doses_left: l.doses_received.map(|r| r - l.doses_used - l.doses_wasted),
        doses_wasted: l.doses_wasted,
    }
}

/// Most doses one lot registration may declare (a large centre's delivery).
const MOST_DOSES: i32 = 100_000;

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
    if !(1..=MOST_DOSES).contains(&new.doses_received) {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            "Quantité reçue : de 1 à 100 000 doses.",
        ));
    }
    let today: NaiveDate = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    if new.expires_on < today {
        return Err(AppError::with_message(
            ErrorCode::LotUnusable,
            "Ce lot est déjà périmé : il ne peut pas être ajouté.",
        ));
    }
    // A vaccine keeps a few years at most: a later date is a typing error.
    if today
        .checked_add_months(chrono::Months::new(60))
        .is_none_or(|limit| new.expires_on > limit)
    {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            "Date de péremption invraisemblable : plus de 5 ans après aujourd'hui.",
        ));
    }
    let product = vaccine_product::Entity::find()
        .filter(vaccine_product::Column::Code.eq(&new.product_code))
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            AppError::with_message(ErrorCode::InvalidInput, "Ce vaccin n'est pas au catalogue.")
        })?;
    let lot = vaccine_lot::Model {
        id: Uuid::new_v4(),
        structure_id,
        product_id: product.id,
        number,
        expires_on: new.expires_on,
        active: true,
        created_at: now,
        doses_received: Some(new.doses_received),
        doses_used: 0,
        doses_wasted: 0,
    };
    let row = lot.clone();
    crate::work::write(state, acting(principal, session_id), move |work| {
        Box::pin(async move {
            // The unique index decides between two registrations of the same lot.
            let inserted = vaccine_lot::Entity::insert(row.into_active_model())
                .on_conflict_do_nothing_on([
                    vaccine_lot::Column::StructureId,
                    vaccine_lot::Column::ProductId,
                    vaccine_lot::Column::Number,
                ])
                .exec_without_returning(work.db())
                .await?;
            if !matches!(inserted, sea_orm::TryInsertResult::Inserted(1)) {
                return Err(AppError::with_message(
                    ErrorCode::Conflict,
                    "Ce lot est déjà enregistré.",
                ));
            }
            work.emit(DomainEvent::LotCreated { lot: lot.id });
            Ok(())
        })
    })
    .await?;
    Ok(lot_view(lot, product.code))
}

/// Declares doses of a lot lost. One statement takes them from the stock only if that many
/// are left, so two declarations (or a declaration and injections) in parallel never take
/// more than the lot received.
pub async fn declare_wastage(
    state: &AppState,
    principal: &Principal,
    session_id: Uuid,
    lot_id: Uuid,
    wastage: &LotWastage,
) -> AppResult<LotView> {
    let lot = vaccine_lot::Entity::find_by_id(lot_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    check(&state.db, principal, lot.structure_id).await?;
    if !(1..=MOST_DOSES).contains(&wastage.doses) {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            "Doses perdues : de 1 à 100 000.",
        ));
    }
    let reason = wastage.reason.trim();
    if reason.is_empty()
        || reason.chars().count() > 500
        || vigie_shared::text::has_hidden_characters(reason)
    {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            "Indiquez le motif de la perte (500 caractères au plus, sans caractère invisible).",
        ));
    }
    if lot.doses_received.is_none() {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            "Ce lot a été enregistré sans quantité : aucune perte ne peut y être déclarée.",
        ));
    }
    let (doses, reason) = (wastage.doses, reason.to_owned());
    let declared_by = principal.id();
    crate::work::write(state, acting(principal, session_id), move |work| {
        Box::pin(async move {
            let taken = vaccine_lot::Entity::update_many()
                .col_expr(
                    vaccine_lot::Column::DosesWasted,
                    Expr::col(vaccine_lot::Column::DosesWasted).add(doses),
                )
                .filter(vaccine_lot::Column::Id.eq(lot_id))
                .filter(
                    Expr::col(vaccine_lot::Column::DosesUsed)
                        .add(Expr::col(vaccine_lot::Column::DosesWasted))
                        .add(doses)
                        .lte(Expr::col(vaccine_lot::Column::DosesReceived)),
                )
                .exec(work.db())
                .await?;
            if taken.rows_affected != 1 {
                return Err(AppError::with_message(
                    ErrorCode::LotExhausted,
                    "Il ne reste pas autant de doses dans ce lot : vérifiez la quantité perdue.",
                ));
            }
            lot_wastage::Entity::insert(lot_wastage::ActiveModel {
                id: Set(Uuid::new_v4()),
                lot_id: Set(lot_id),
                doses: Set(doses),
                reason: Set(reason),
                declared_by: Set(declared_by),
                session_id: Set(session_id),
                declared_at: Set(work.now()),
            })
            .exec_without_returning(work.db())
            .await?;
            work.emit(DomainEvent::LotWasted { lot: lot_id, doses });
            Ok(())
        })
    })
    .await?;
    view_of(&state.db, lot.structure_id, lot_id).await
}

/// Who acts on a structure's lots: a professional practising there or its account.
fn acting(principal: &Principal, session_id: Uuid) -> Actor {
    Actor {
        id: Some(principal.id()),
        session: Some(session_id),
        ..Actor::anonymous()
    }
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
    let id = lot.id;
    crate::work::write(state, acting(principal, session_id), move |work| {
        Box::pin(async move {
            vaccine_lot::Entity::update_many()
                .col_expr(vaccine_lot::Column::Active, Expr::value(active))
                .filter(vaccine_lot::Column::Id.eq(id))
                .exec(work.db())
                .await?;
            work.emit(DomainEvent::LotSwitched { lot: id, active });
            Ok(())
        })
    })
    .await?;
    view_of(&state.db, lot.structure_id, lot.id).await
}
