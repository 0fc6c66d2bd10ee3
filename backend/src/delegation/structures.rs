//! Structures (FINESS, name, address, opening hours) and who manages them: the structure's
//! password account (second factor done), or a professional named manager (passkey sign-in).

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Europe::Paris;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode,
    api::delegation::{OpeningHours, StructureDetails, StructureUpdate},
};

use crate::{
    audit::{self, Event},
    auth::session::Principal,
    entities::{structure, structure_manager},
    error::{AppError, AppResult},
    state::AppState,
    vaccination::access,
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
    crate::audit::commit(txn, db).await?;
    Ok((crate::auth::session::display_name(&p), s.name))
}

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

/// Practises there (professional) or is declared there (staff).
async fn works_in(
    db: &impl ConnectionTrait,
    principal: &Principal,
    structure_id: Uuid,
) -> AppResult<bool> {
    Ok(match principal {
        Principal::Professional(p) => access::structures_of(db, p.id)
            .await?
            .contains(&structure_id),
        Principal::Delegate { staff, .. } => staff.structure_id == structure_id,
        Principal::Account { .. } => false,
    })
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<structure::Model> {
    structure::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))
}

pub fn opening_hours(s: &structure::Model) -> OpeningHours {
    serde_json::from_str(&s.opening_hours).unwrap_or_default()
}

/// "Outside the site's opening hours" (an atypical sign-in request), in Paris time.
/// A site without hours given is never outside them.
pub fn outside_hours(s: &structure::Model, now: DateTime<Utc>) -> Option<String> {
    if s.opening_hours.is_empty() {
        return None;
    }
    let local = now.with_timezone(&Paris);
    let day = local.weekday().num_days_from_monday() as usize;
    (!opening_hours(s).is_open(day, local.time())).then(|| {
        format!(
            "Demande à {} en dehors des heures d'ouverture de {}",
            local.format("%H:%M"),
            s.name
        )
    })
}

fn details(s: structure::Model, can_manage: bool) -> StructureDetails {
    StructureDetails {
        opening_hours: opening_hours(&s),
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
    let now = state.now();
    let row = managed(&state.db, principal, id).await?;
    body.opening_hours
        .check()
        .map_err(|m| AppError::with_message(ErrorCode::InvalidInput, m))?;
    let address = super::text_field(&body.address, "Adresse", 200)?;
    let txn = audit::begin_write(&state.db).await?;
    let mut active = row.into_active_model();
    active.address = Set(address);
    active.opening_hours =
        Set(serde_json::to_string(&body.opening_hours).map_err(AppError::internal)?);
    let row = active.update(&txn).await?;
    let mut event = Event::new("structure.updated").subject(id);
    event.actor = Some(principal.id().to_string());
    audit::record(&txn, now, event).await?;
    crate::audit::commit(txn, &state.db).await?;
    Ok(details(row, true))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn centre(hours: &str) -> structure::Model {
        structure::Model {
            id: Uuid::nil(),
            finess: "770012342".into(),
            name: "Centre de vaccination de Melun".into(),
            kind: "centre_vaccination".into(),
            address: String::new(),
            department: "77".into(),
            opening_hours: hours.into(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn outside_the_site_hours_in_paris_time() {
        // Monday to Friday 08:00–19:00.
        let day = r#"{"opens":"08:00","closes":"19:00"}"#;
        let hours = format!(r#"{{"days":[{day},{day},{day},{day},{day},null,null]}}"#);
        let s = centre(&hours);
        // Monday 23 November 2026, 07:30 UTC = 08:30 in Paris: open.
        let open = Utc
            .with_ymd_and_hms(2026, 11, 23, 7, 30, 0)
            .single()
            .expect("date");
        assert_eq!(outside_hours(&s, open), None);
        // 18:30 UTC = 19:30 in Paris: closed.
        let late = Utc
            .with_ymd_and_hms(2026, 11, 23, 18, 30, 0)
            .single()
            .expect("date");
        assert_eq!(
            outside_hours(&s, late).as_deref(),
            Some(
                "Demande à 19:30 en dehors des heures d'ouverture de Centre de vaccination de Melun"
            )
        );
        // Saturday: closed all day.
        let saturday = Utc
            .with_ymd_and_hms(2026, 11, 28, 10, 0, 0)
            .single()
            .expect("date");
        assert!(outside_hours(&s, saturday).is_some());
        // No hours given: never outside them.
        assert_eq!(outside_hours(&centre(""), late), None);
    }
}
