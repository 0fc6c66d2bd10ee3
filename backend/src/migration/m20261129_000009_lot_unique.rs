//! A structure registers a lot number of a product once: the database refuses the second of two
//! registrations sent together, which a check before the insert could not.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum VaccineLot {
    Table,
    StructureId,
    ProductId,
    Number,
}

const INDEX: &str = "ux_vaccine_lot_structure_product_number";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(INDEX)
                .table(VaccineLot::Table)
                .col(VaccineLot::StructureId)
                .col(VaccineLot::ProductId)
                .col(VaccineLot::Number)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(INDEX)
                .table(VaccineLot::Table)
                .to_owned(),
        )
        .await
    }
}
