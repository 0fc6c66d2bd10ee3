//! The patient's NIR at rest: only its keyed fingerprint (to find the person) and its masked
//! form (to show) are stored.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};

use crate::{entities::patient, vault::Fingerprint};

/// Rows written before the NIR left the database: their NIR becomes its fingerprint and its
/// masked form, at start. Returns how many.
pub async fn forget_stored_nirs(
    db: &DatabaseConnection,
    fingerprint: &Fingerprint,
) -> anyhow::Result<u64> {
    let legacy = patient::Entity::find()
        .filter(patient::Column::NirMasked.eq(""))
        .all(db)
        .await?;
    let mut n = 0;
    for p in legacy {
        let nir = p.nir_key;
        patient::Entity::update_many()
            .col_expr(patient::Column::NirKey, Expr::value(fingerprint.of(&nir)))
            .col_expr(
                patient::Column::NirMasked,
                Expr::value(super::service::mask_nir(&nir)),
            )
            .filter(patient::Column::Id.eq(p.id))
            .filter(patient::Column::NirKey.eq(nir.clone()))
            .exec(db)
            .await?;
        n += 1;
    }
    Ok(n)
}
