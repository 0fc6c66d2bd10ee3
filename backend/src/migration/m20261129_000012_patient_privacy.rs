//! The patient's NIR leaves the database: the `nir` column now holds a keyed fingerprint of it
//! (found by it, never read back), and `nir_masked` what screens show. Rows stored before are
//! converted at start, where the vault's key is. `quota` counts uses of a limited action
//! (patient look-ups) per subject in a fixed window, in one statement.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Patient {
    Table,
    NirMasked,
}

#[derive(DeriveIden)]
enum Quota {
    Table,
    Subject,
    WindowStart,
    Used,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Patient::Table)
                .add_column(string(Patient::NirMasked).default(""))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Quota::Table)
                .if_not_exists()
                .col(string(Quota::Subject).primary_key())
                .col(timestamp_with_time_zone(Quota::WindowStart))
                .col(integer(Quota::Used))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Quota::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Patient::Table)
                .drop_column(Patient::NirMasked)
                .to_owned(),
        )
        .await
    }
}
