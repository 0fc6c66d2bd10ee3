//! The patient's NIR at rest: only its keyed fingerprint (to find the person) and its masked
//! form (to show) are stored.

use sea_orm::ConnectionTrait;

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

/// Rows masked by an earlier version, which showed 10 characters ("2 55 08 14 168 *** **"):
/// their masked form keeps only sex, year and month of birth ("2 55 08 ** *** *** **", as
/// `mask_nir` writes now), at start. One statement; returns how many.
pub async fn hide_more_of_shown_nirs(db: &DatabaseConnection) -> anyhow::Result<u64> {
    let done = db
        .execute_unprepared(
            "UPDATE patient SET nir_masked = substr(nir_masked, 1, 7) || ' ** *** *** **' \
             WHERE nir_masked LIKE '_ __ __ __ ___ *** **' \
             AND nir_masked NOT LIKE '_ __ __ ** *** *** **'",
        )
        .await?;
    Ok(done.rows_affected())
}
