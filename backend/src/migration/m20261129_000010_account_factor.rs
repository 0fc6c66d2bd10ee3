//! Wrong SMS codes are counted per structure account across its sessions (a day's window), and
//! an incident may concern a structure account as well as a professional.
//!
//! SQLite cannot make a column nullable in place: the incident table is rebuilt (same rows) on
//! both databases, the same way.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StructureAccount {
    Table,
    FactorFailures,
    FactorWindowStart,
}

#[derive(DeriveIden)]
enum IncidentNext {
    Table,
    Id,
    ProfessionalId,
    AccountId,
    ApprovalId,
    Kind,
    OpenedAt,
    Status,
    ClosedAt,
    ClosedBy,
    Note,
}

const COLUMNS: &str =
    "id, professional_id, approval_id, kind, opened_at, status, closed_at, closed_by, note";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on both databases: the rebuild happens whole or not at all.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(StructureAccount::Table)
                .add_column(integer(StructureAccount::FactorFailures).default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(StructureAccount::Table)
                .add_column(timestamp_with_time_zone_null(
                    StructureAccount::FactorWindowStart,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IncidentNext::Table)
                .col(pk_uuid(IncidentNext::Id))
                .col(uuid_null(IncidentNext::ProfessionalId))
                .col(uuid_null(IncidentNext::AccountId))
                .col(uuid_null(IncidentNext::ApprovalId))
                .col(string(IncidentNext::Kind))
                .col(timestamp_with_time_zone(IncidentNext::OpenedAt))
                .col(string(IncidentNext::Status))
                .col(timestamp_with_time_zone_null(IncidentNext::ClosedAt))
                .col(string_null(IncidentNext::ClosedBy))
                .col(text_null(IncidentNext::Note))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO incident_next ({COLUMNS}) SELECT {COLUMNS} FROM incident"
        ))
        .await?;
        db.execute_unprepared("DROP TABLE incident").await?;
        db.execute_unprepared("ALTER TABLE incident_next RENAME TO incident")
            .await?;
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        // Account incidents have no place in the earlier table.
        Err(DbErr::Migration(
            "irreversible: account incidents cannot go back".into(),
        ))
    }
}
