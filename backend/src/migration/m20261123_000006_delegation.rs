//! Délégation de saisie: structures get opening hours; staff members can be withdrawn and hold
//! passkeys of their own; professionals choose their delegates; structure managers may be
//! professionals (passkey) besides the structure's password account; approval requests and
//! sessions carry the staff member, the structure and the terminal; entries can be contested.
//!
//! Only added tables and nullable (or defaulted) columns: one `ALTER TABLE` a column, as
//! SQLite requires.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
    OpeningHours,
}

#[derive(DeriveIden)]
enum Professional {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StaffMember {
    Table,
    Id,
    WithdrawnAt,
    EnrolmentTokenHash,
    EnrolmentExpiresAt,
}

#[derive(DeriveIden)]
enum StaffPasskey {
    Table,
    Id,
    StaffMemberId,
    CredentialId,
    Credential,
    Label,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum StructureManager {
    Table,
    ProfessionalId,
    StructureId,
}

#[derive(DeriveIden)]
enum Delegation {
    Table,
    ProfessionalId,
    StaffMemberId,
    GrantedAt,
    WithdrawnAt,
}

#[derive(DeriveIden)]
enum ApprovalRequest {
    Table,
    StaffMemberId,
    StructureId,
    RequestedBy,
    RequesterSessionId,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    StructureId,
    TerminalId,
}

#[derive(DeriveIden)]
enum Injection {
    Table,
    ContestedAt,
    ContestReason,
    ContestedBy,
}

#[derive(DeriveIden)]
enum WebauthnCeremony {
    Table,
    StaffMemberId,
}

async fn add(m: &SchemaManager<'_>, table: impl IntoIden, col: ColumnDef) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(table)
            .add_column(col.to_owned())
            .to_owned(),
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Opening hours as JSON (shared `OpeningHours`); empty = not given yet.
        add(
            m,
            Structure::Table,
            text(Structure::OpeningHours).default("").to_owned(),
        )
        .await?;
        add(
            m,
            StaffMember::Table,
            timestamp_with_time_zone_null(StaffMember::WithdrawnAt),
        )
        .await?;
        add(
            m,
            StaffMember::Table,
            string_null(StaffMember::EnrolmentTokenHash),
        )
        .await?;
        add(
            m,
            StaffMember::Table,
            timestamp_with_time_zone_null(StaffMember::EnrolmentExpiresAt),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StaffPasskey::Table)
                .if_not_exists()
                .col(pk_uuid(StaffPasskey::Id))
                .col(uuid(StaffPasskey::StaffMemberId))
                .col(string_uniq(StaffPasskey::CredentialId))
                .col(text(StaffPasskey::Credential))
                .col(string(StaffPasskey::Label))
                .col(timestamp_with_time_zone(StaffPasskey::CreatedAt))
                .col(timestamp_with_time_zone_null(StaffPasskey::LastUsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(StaffPasskey::Table, StaffPasskey::StaffMemberId)
                        .to(StaffMember::Table, StaffMember::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StructureManager::Table)
                .if_not_exists()
                .col(uuid(StructureManager::ProfessionalId))
                .col(uuid(StructureManager::StructureId))
                .primary_key(
                    Index::create()
                        .col(StructureManager::ProfessionalId)
                        .col(StructureManager::StructureId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(StructureManager::Table, StructureManager::ProfessionalId)
                        .to(Professional::Table, Professional::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(StructureManager::Table, StructureManager::StructureId)
                        .to(Structure::Table, Structure::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Delegation::Table)
                .if_not_exists()
                .col(uuid(Delegation::ProfessionalId))
                .col(uuid(Delegation::StaffMemberId))
                .col(timestamp_with_time_zone(Delegation::GrantedAt))
                .col(timestamp_with_time_zone_null(Delegation::WithdrawnAt))
                .primary_key(
                    Index::create()
                        .col(Delegation::ProfessionalId)
                        .col(Delegation::StaffMemberId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Delegation::Table, Delegation::ProfessionalId)
                        .to(Professional::Table, Professional::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Delegation::Table, Delegation::StaffMemberId)
                        .to(StaffMember::Table, StaffMember::Id),
                )
                .to_owned(),
        )
        .await?;
        add(
            m,
            ApprovalRequest::Table,
            uuid_null(ApprovalRequest::StaffMemberId),
        )
        .await?;
        add(
            m,
            ApprovalRequest::Table,
            uuid_null(ApprovalRequest::StructureId),
        )
        .await?;
        add(
            m,
            ApprovalRequest::Table,
            string_null(ApprovalRequest::RequestedBy),
        )
        .await?;
        add(
            m,
            ApprovalRequest::Table,
            uuid_null(ApprovalRequest::RequesterSessionId),
        )
        .await?;
        add(m, Session::Table, uuid_null(Session::StructureId)).await?;
        add(m, Session::Table, uuid_null(Session::TerminalId)).await?;
        add(
            m,
            Injection::Table,
            timestamp_with_time_zone_null(Injection::ContestedAt),
        )
        .await?;
        add(m, Injection::Table, text_null(Injection::ContestReason)).await?;
        add(m, Injection::Table, uuid_null(Injection::ContestedBy)).await?;
        add(
            m,
            WebauthnCeremony::Table,
            uuid_null(WebauthnCeremony::StaffMemberId),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_session_staff_member")
                .table(Session::Table)
                .col(Alias::new("staff_member_id"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "delegation cannot be rolled back; restore a backup instead".into(),
        ))
    }
}
