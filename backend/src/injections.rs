//! The injection record as every feature shows it: its view (what it names, loaded in a few
//! queries) and its revisions (the earlier versions kept at each change). Shared by the
//! features that write injections, so that none of them reads another's service.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;
use vigie_shared::api::vaccination::{ContestView, InjectionView};

/// The first day of the COVID-19 vaccination campaign in France (Paris time): nothing is
/// recorded before it, and the open-data calendar starts there at the earliest.
pub const CAMPAIGN_START: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(2020, 12, 27) {
    Some(d) => d,
    None => panic!("a valid date"),
};

use crate::{
    entities::{
        adverse_effect, injection, injection_revision, professional, staff_member, structure,
        vaccine_lot, vaccine_product,
    },
    error::{AppError, AppResult},
};

/// Corrections and invalidations are open this long after the entry.
pub const CORRECTION_WINDOW: Duration = Duration::hours(24);

/// The products of the catalogue, by id (a handful of rows, read once per request).
pub type Catalogue = HashMap<Uuid, vaccine_product::Model>;

pub async fn catalogue(db: &impl ConnectionTrait) -> AppResult<Catalogue> {
    Ok(vaccine_product::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// Builds the views of injections, loading what they name in a few queries.
pub async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<injection::Model>,
) -> AppResult<Vec<InjectionView>> {
    let ids = |f: fn(&injection::Model) -> Uuid| rows.iter().map(f).collect::<Vec<_>>();
    let products = catalogue(db).await?;
    let lots: HashMap<Uuid, vaccine_lot::Model> = vaccine_lot::Entity::find()
        .filter(vaccine_lot::Column::Id.is_in(ids(|i| i.lot_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let structures: HashMap<Uuid, structure::Model> = structure::Entity::find()
        .filter(structure::Column::Id.is_in(ids(|i| i.structure_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let professionals: HashMap<Uuid, professional::Model> = professional::Entity::find()
        .filter(professional::Column::Id.is_in(ids(|i| i.professional_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let staff: HashMap<Uuid, staff_member::Model> = staff_member::Entity::find()
        .filter(staff_member::Column::Id.is_in(rows.iter().filter_map(|i| i.staff_member_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let declared: Vec<adverse_effect::Model> = adverse_effect::Entity::find()
        .filter(adverse_effect::Column::InjectionId.is_in(ids(|i| i.id)))
        .all(db)
        .await?;
    rows.into_iter()
        .map(|i| {
            let product = products
                .get(&i.product_id)
                .ok_or_else(|| AppError::internal("injection of an unknown product"))?;
            let names = Names {
                lot_number: lots.get(&i.lot_id).map(|l| l.number.clone()),
                structure: structures.get(&i.structure_id),
                vaccinator: professionals
                    .get(&i.professional_id)
                    .map(crate::auth::session::display_name),
                typed_by: i
                    .staff_member_id
                    .and_then(|id| staff.get(&id))
                    .map(crate::auth::session::staff_name),
                adverse_effects_declared: declared.iter().filter(|d| d.injection_id == i.id).count()
                    as u32,
            };
            Ok(view(i, product, names))
        })
        .collect()
}

/// What an injection's view names besides its own row.
pub struct Names<'a> {
    pub lot_number: Option<String>,
    pub structure: Option<&'a structure::Model>,
    pub vaccinator: Option<String>,
    pub typed_by: Option<String>,
    pub adverse_effects_declared: u32,
}

pub fn view(i: injection::Model, product: &vaccine_product::Model, names: Names) -> InjectionView {
    let vaccinator = names.vaccinator.unwrap_or_default();
    // Only the responsible professional contests, so `by` is the vaccinator.
    let contest = i.contested_at.map(|at| ContestView {
        by: vaccinator.clone(),
        reason: i.contest_reason.clone().unwrap_or_default(),
        at,
    });
    InjectionView {
        contest,
        id: i.id,
        product_code: product.code.clone(),
        product_name: product.name.clone(),
        manufacturer: product.manufacturer.clone(),
        lot_number: names.lot_number.unwrap_or_default(),
        dose_number: i.dose_number,
        series_doses: i.series_doses,
        booster: i.booster,
        site: i.site,
        administered_at: i.administered_at,
        structure_name: names.structure.map(|s| s.name.clone()).unwrap_or_default(),
        // An own practice's stored key is no FINESS.
        structure_finess: names
            .structure
            .filter(|s| s.owner_professional_id.is_none())
            .map(|s| s.finess.clone())
            .unwrap_or_default(),
        place: i
            .place_kind
            .as_deref()
            .map(|kind| place_label(kind, i.place_address.as_deref().unwrap_or_default())),
        vaccinator,
        typed_by: names.typed_by,
        status: i.status,
        version: i.version,
        correctable_until: i.created_at + CORRECTION_WINDOW,
        adverse_effects_declared: names.adverse_effects_declared,
    }
}

/// How a dose's place (given outside any structure) reads on screens, the recap and the
/// certificate: "Au domicile du patient", "Autre lieu — 3 place de la Mairie, Provins".
pub fn place_label(kind: &str, address: &str) -> String {
    let label = vigie_shared::api::vaccination::PlaceKind::from_code(kind)
        .map_or("Hors structure", |k| k.label());
    if address.is_empty() {
        label.to_owned()
    } else {
        format!("{label} — {address}")
    }
}

/// Keeps the injection as it was before a change (correction, invalidation, contest), with
/// who changed it from which session.
pub async fn keep_revision(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    (changed_by, session_id): (String, Uuid),
    row: &injection::Model,
    change: &str,
    reason: &str,
) -> AppResult<()> {
    let before = views(txn, vec![row.clone()]).await?.pop();
    injection_revision::ActiveModel {
        id: Set(Uuid::new_v4()),
        injection_id: Set(row.id),
        version: Set(row.version),
        snapshot: Set(serde_json::to_string(&before).map_err(AppError::internal)?),
        change: Set(change.into()),
        reason: Set(reason.into()),
        changed_by: Set(changed_by),
        session_id: Set(session_id),
        changed_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}
