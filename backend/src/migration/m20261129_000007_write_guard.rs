//! The write path's subject locks: one row per guarded subject (an identity asking for push
//! sign-in, a client address, …). A unit of work upserts the row before checking a limit, which
//! takes that row's lock until commit on PostgreSQL, so the check and the write that follows
//! cannot interleave with another instance's. Keys are hashes: no identifier or address here.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WriteGuard {
    Table,
    Key,
    TouchedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WriteGuard::Table)
                .if_not_exists()
                .col(string_len(WriteGuard::Key, 64).primary_key())
                .col(timestamp_with_time_zone(WriteGuard::TouchedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WriteGuard::Table).to_owned())
            .await
    }
}
