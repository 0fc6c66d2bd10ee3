//! The push freeze remembers whether the current run of failures holds a refusal by the phone:
//! only such runs escalate the freeze (unanswered requests alone cannot lock a doctor out).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PushFreeze {
    Table,
    RefusedInRun,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(PushFreeze::Table)
                .add_column(boolean(PushFreeze::RefusedInRun).default(false))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(PushFreeze::Table)
                .drop_column(PushFreeze::RefusedInRun)
                .to_owned(),
        )
        .await
    }
}
