//! Masked NIRs show sex, year and month of birth only ("2 55 08 ** *** *** **"); rows masked
//! by an earlier version showed 10 characters ("2 55 08 14 168 *** **") and are cut down here,
//! once (the masked form holds no secret: no key is needed, unlike the fingerprint).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "UPDATE patient SET nir_masked = substr(nir_masked, 1, 7) || ' ** *** *** **' \
                 WHERE nir_masked LIKE '_ __ __ __ ___ *** **' \
                 AND nir_masked NOT LIKE '_ __ __ ** *** *** **'",
            )
            .await?;
        Ok(())
    }

    /// The digits cut are gone: nothing to put back.
    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
