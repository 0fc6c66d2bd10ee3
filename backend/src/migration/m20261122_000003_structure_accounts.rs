//! Structure password accounts (amelipro rules) and sessions that are not a professional's.
//!
//! A session now belongs to a principal: a professional, a structure account, or (delegation)
//! a staff member typing under a professional's authority. `professional_id` becomes optional,
//! which neither SQLite nor sea-query can alter in place: the table is rebuilt and its rows
//! copied. `stage` says what the session still lacks before it may touch health data.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Professional {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StaffMember {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StructureAccount {
    Table,
    Id,
    StructureId,
    Identifier,
    DisplayName,
    Email,
    Mobile,
    PasswordHash,
    PasswordChangedAt,
    MustChangePassword,
    FailedAttempts,
    LockedUntil,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PasswordHistory {
    Table,
    Id,
    AccountId,
    PasswordHash,
    SetAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
}

#[derive(DeriveIden)]
enum SessionNext {
    Table,
    Id,
    TokenHash,
    ProfessionalId,
    AccountId,
    StaffMemberId,
    Stage,
    FactorCodeHash,
    FactorExpiresAt,
    FactorAttempts,
    Method,
    CreatedAt,
    LastSeenAt,
    IdleExpiresAt,
    AbsoluteExpiresAt,
    EndedAt,
    UserAgent,
    Ip,
    ReportTokenHash,
}

/// Columns the old `session` table had, copied as they are.
const KEPT: &str = "id, token_hash, professional_id, method, created_at, last_seen_at, \
                    idle_expires_at, absolute_expires_at, ended_at, user_agent, ip, \
                    report_token_hash";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StructureAccount::Table)
                .if_not_exists()
                .col(pk_uuid(StructureAccount::Id))
                .col(uuid(StructureAccount::StructureId))
                .col(string_uniq(StructureAccount::Identifier))
                .col(string(StructureAccount::DisplayName))
                .col(string(StructureAccount::Email))
                .col(string(StructureAccount::Mobile))
                .col(string(StructureAccount::PasswordHash))
                .col(timestamp_with_time_zone(
                    StructureAccount::PasswordChangedAt,
                ))
                .col(boolean(StructureAccount::MustChangePassword))
                .col(integer(StructureAccount::FailedAttempts))
                .col(timestamp_with_time_zone_null(StructureAccount::LockedUntil))
                .col(timestamp_with_time_zone(StructureAccount::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(StructureAccount::Table, StructureAccount::StructureId)
                        .to(Structure::Table, Structure::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PasswordHistory::Table)
                .if_not_exists()
                .col(pk_uuid(PasswordHistory::Id))
                .col(uuid(PasswordHistory::AccountId))
                .col(string(PasswordHistory::PasswordHash))
                .col(timestamp_with_time_zone(PasswordHistory::SetAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(PasswordHistory::Table, PasswordHistory::AccountId)
                        .to(StructureAccount::Table, StructureAccount::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_password_history_account")
                .table(PasswordHistory::Table)
                .col(PasswordHistory::AccountId)
                .to_owned(),
        )
        .await?;

        let next = Table::create()
            .table(SessionNext::Table)
            .col(pk_uuid(SessionNext::Id))
            .col(string_uniq(SessionNext::TokenHash))
            .col(uuid_null(SessionNext::ProfessionalId))
            .col(uuid_null(SessionNext::AccountId))
            .col(uuid_null(SessionNext::StaffMemberId))
            .col(string(SessionNext::Stage).default("active"))
            .col(string_null(SessionNext::FactorCodeHash))
            .col(timestamp_with_time_zone_null(SessionNext::FactorExpiresAt))
            .col(integer(SessionNext::FactorAttempts).default(0))
            .col(string(SessionNext::Method))
            .col(timestamp_with_time_zone(SessionNext::CreatedAt))
            .col(timestamp_with_time_zone(SessionNext::LastSeenAt))
            .col(timestamp_with_time_zone(SessionNext::IdleExpiresAt))
            .col(timestamp_with_time_zone(SessionNext::AbsoluteExpiresAt))
            .col(timestamp_with_time_zone_null(SessionNext::EndedAt))
            .col(string_null(SessionNext::UserAgent))
            .col(string_null(SessionNext::Ip))
            .col(string_null(SessionNext::ReportTokenHash))
            .foreign_key(
                ForeignKey::create()
                    .from(SessionNext::Table, SessionNext::ProfessionalId)
                    .to(Professional::Table, Professional::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(SessionNext::Table, SessionNext::AccountId)
                    .to(StructureAccount::Table, StructureAccount::Id),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(SessionNext::Table, SessionNext::StaffMemberId)
                    .to(StaffMember::Table, StaffMember::Id),
            )
            .to_owned();
        let backend = m.get_database_backend();
        // One batch on one connection: a pooled SQLite connection with an older view of the
        // schema would still see the dropped table when the new one takes its name.
        let batch = [
            backend.build(&next).to_string(),
            format!(
                "INSERT INTO session_next ({KEPT}, stage, factor_attempts) \
                 SELECT {KEPT}, 'active', 0 FROM session"
            ),
            backend
                .build(&Table::drop().table(Session::Table).to_owned())
                .to_string(),
            backend
                .build(
                    &Table::rename()
                        .table(SessionNext::Table, Session::Table)
                        .to_owned(),
                )
                .to_string(),
        ]
        .join(";\n");
        m.get_connection().execute_unprepared(&batch).await?;
        for (name, column) in [
            ("idx_session_professional", SessionNext::ProfessionalId),
            ("idx_session_account", SessionNext::AccountId),
            ("idx_session_staff_member", SessionNext::StaffMemberId),
        ] {
            m.create_index(
                Index::create()
                    .if_not_exists()
                    .name(name)
                    .table(Session::Table)
                    .col(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        // Sessions of accounts and delegates cannot go back into a professional-only table.
        Err(DbErr::Migration(
            "structure accounts cannot be rolled back; restore a backup instead".into(),
        ))
    }
}
