//! Audit events wait in `audit_pending`, written by each write in its own transaction with no
//! global lock, until a sealer gives them their place in the hash chain (`audit_event`) in a
//! short transaction of its own. Nothing else changes in `audit_event` or `audit_head`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditPending {
    Table,
    Id,
    At,
    Actor,
    Authority,
    SessionId,
    Terminal,
    Action,
    Subject,
    Details,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditPending::Table)
                .if_not_exists()
                .col(big_pk_auto(AuditPending::Id))
                .col(timestamp_with_time_zone(AuditPending::At))
                .col(string_null(AuditPending::Actor))
                .col(string_null(AuditPending::Authority))
                .col(uuid_null(AuditPending::SessionId))
                .col(string_null(AuditPending::Terminal))
                .col(string(AuditPending::Action))
                .col(string_null(AuditPending::Subject))
                .col(text(AuditPending::Details))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditPending::Table).to_owned())
            .await
    }
}
