//! Open data: the vaccination counts kept up to date as injections are written
//! (`crate::statistics`), and their backfill from the injections already recorded.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Per day × department of residence × age class × product: the detailed aggregate.
#[derive(DeriveIden)]
enum StatisticDetail {
    Table,
    Day,
    Department,
    AgeClass,
    ProductId,
    NDose1,
    NComplet,
    NRappel,
}

/// Per geography (`FR` or a department) × day × age class, all products: what the files read.
#[derive(DeriveIden)]
enum StatisticDaily {
    Table,
    Geo,
    Day,
    AgeClass,
    NDose1,
    NComplet,
    NRappel,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StatisticDetail::Table)
                .if_not_exists()
                .col(date(StatisticDetail::Day))
                .col(string_len(StatisticDetail::Department, 3))
                .col(small_integer(StatisticDetail::AgeClass))
                .col(uuid(StatisticDetail::ProductId))
                .col(big_integer(StatisticDetail::NDose1).default(0))
                .col(big_integer(StatisticDetail::NComplet).default(0))
                .col(big_integer(StatisticDetail::NRappel).default(0))
                .primary_key(
                    Index::create()
                        .col(StatisticDetail::Day)
                        .col(StatisticDetail::Department)
                        .col(StatisticDetail::AgeClass)
                        .col(StatisticDetail::ProductId),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StatisticDaily::Table)
                .if_not_exists()
                .col(string_len(StatisticDaily::Geo, 3))
                .col(date(StatisticDaily::Day))
                .col(small_integer(StatisticDaily::AgeClass))
                .col(big_integer(StatisticDaily::NDose1).default(0))
                .col(big_integer(StatisticDaily::NComplet).default(0))
                .col(big_integer(StatisticDaily::NRappel).default(0))
                .primary_key(
                    Index::create()
                        .col(StatisticDaily::Geo)
                        .col(StatisticDaily::Day)
                        .col(StatisticDaily::AgeClass),
                )
                .to_owned(),
        )
        .await?;
        // Injections recorded before this step: counted once, here.
        crate::statistics::rebuild(m.get_connection())
            .await
            .map_err(|e| DbErr::Migration(format!("statistics backfill: {e}")))?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            StatisticDaily::Table.into_iden(),
            StatisticDetail::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
