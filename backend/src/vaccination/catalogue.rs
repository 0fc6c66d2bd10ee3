//! The COVID-19 vaccine catalogue: reference data every instance carries, loaded at start.
//! Sources: EMA EPARs and HAS advice (schedules, intervals, ages); eHealth Network DCC value
//! sets (`vp`, `ma`). Withdrawn products stay so that history and certificates still name them.

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use crate::entities::vaccine_product;

pub use vigie_shared::vaccines::*;

/// Inserts missing products and refreshes the reference fields of existing ones.
pub async fn seed(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    for p in &PRODUCTS {
        vaccine_product::Entity::insert(vaccine_product::ActiveModel {
            id: Set(Uuid::new_v4()),
            code: Set(p.code.into()),
            name: Set(p.name.into()),
            manufacturer: Set(p.manufacturer.into()),
            eu_authorisation: Set(p.eu_authorisation.into()),
            doses_in_schedule: Set(p.doses),
            min_interval_days: Set(p.min_interval_days),
            min_age_years: Set(p.min_age_years),
            active: Set(p.active),
            dcc_prophylaxis: Set(p.dcc_prophylaxis.into()),
            dcc_manufacturer: Set(p.dcc_manufacturer.into()),
        })
        .on_conflict(
            OnConflict::column(vaccine_product::Column::Code)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        vaccine_product::Entity::update_many()
            .col_expr(
                vaccine_product::Column::DccProphylaxis,
                Expr::value(p.dcc_prophylaxis),
            )
            .col_expr(
                vaccine_product::Column::DccManufacturer,
                Expr::value(p.dcc_manufacturer),
            )
            .filter(vaccine_product::Column::Code.eq(p.code))
            .exec(db)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_age_bands_cover_every_age_once_and_name_catalogue_products() {
        for age in 0..=130 {
            let found = AGE_RECOMMENDATIONS
                .iter()
                .filter(|r| age >= r.from_years && r.until_years.is_none_or(|u| age < u))
                .count();
            assert_eq!(found, 1, "{age}");
        }
        for r in &AGE_RECOMMENDATIONS {
            for code in r.proposed.iter().chain(r.advised_against) {
                assert!(product(code).is_some_and(|p| p.active), "{code}");
            }
            assert!(!r.proposed.is_empty());
        }
        assert_eq!(recommendation_for(29).advised_against, ["spikevax"]);
        assert!(recommendation_for(30).advised_against.is_empty());
    }
}
