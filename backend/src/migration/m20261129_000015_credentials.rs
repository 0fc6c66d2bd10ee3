//! One credential model for every principal: professionals' and staff members' passkeys move
//! from their two tables (`passkey`, `staff_passkey`) into `credential`, keyed by who owns
//! them (`owner_kind`, `owner_id`); a revoked one keeps its row (`revoked_at`) for the audit.
//! `credential_report` holds the single-use "Ce n'est pas moi" tokens of the mails sent when a
//! credential is added; `session_credential` says which passkey opened a session.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Credential {
    Table,
    Id,
    OwnerKind,
    OwnerId,
    /// The authenticator's credential id.
    #[sea_orm(iden = "credential_id")]
    AuthenticatorId,
    Passkey,
    Label,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum CredentialReport {
    Table,
    TokenHash,
    PasskeyId,
    DeviceId,
    OwnerKind,
    OwnerId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum SessionCredential {
    Table,
    SessionId,
    CredentialId,
}

#[derive(DeriveIden)]
enum Passkey {
    Table,
    Id,
    ProfessionalId,
    CredentialId,
    Credential,
    Label,
    CreatedAt,
    LastUsedAt,
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
enum Professional {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StaffMember {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on both databases: the rows move whole or not at all.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Credential::Table)
                .if_not_exists()
                .col(pk_uuid(Credential::Id))
                .col(string(Credential::OwnerKind))
                .col(uuid(Credential::OwnerId))
                .col(string_uniq(Credential::AuthenticatorId))
                .col(text(Credential::Passkey))
                .col(string(Credential::Label))
                .col(timestamp_with_time_zone(Credential::CreatedAt))
                .col(timestamp_with_time_zone_null(Credential::LastUsedAt))
                .col(timestamp_with_time_zone_null(Credential::RevokedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_credential_owner")
                .table(Credential::Table)
                .col(Credential::OwnerKind)
                .col(Credential::OwnerId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CredentialReport::Table)
                .if_not_exists()
                .col(string(CredentialReport::TokenHash).primary_key())
                .col(uuid_null(CredentialReport::PasskeyId))
                .col(uuid_null(CredentialReport::DeviceId))
                .col(string(CredentialReport::OwnerKind))
                .col(uuid(CredentialReport::OwnerId))
                .col(timestamp_with_time_zone(CredentialReport::CreatedAt))
                .col(timestamp_with_time_zone(CredentialReport::ExpiresAt))
                .col(timestamp_with_time_zone_null(CredentialReport::UsedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SessionCredential::Table)
                .if_not_exists()
                .col(pk_uuid(SessionCredential::SessionId))
                .col(uuid(SessionCredential::CredentialId))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "INSERT INTO credential (id, owner_kind, owner_id, credential_id, passkey, label, \
             created_at, last_used_at, revoked_at) \
             SELECT id, 'professional', professional_id, credential_id, credential, label, \
             created_at, last_used_at, NULL FROM passkey",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO credential (id, owner_kind, owner_id, credential_id, passkey, label, \
             created_at, last_used_at, revoked_at) \
             SELECT id, 'staff', staff_member_id, credential_id, credential, label, \
             created_at, last_used_at, NULL FROM staff_passkey",
        )
        .await?;
        m.drop_table(Table::drop().table(StaffPasskey::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Passkey::Table).to_owned())
            .await?;
        Ok(())
    }

    /// The two tables again, with the keys that were never revoked (a revoked key has no place
    /// there: it would sign in again).
    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Passkey::Table)
                .if_not_exists()
                .col(pk_uuid(Passkey::Id))
                .col(uuid(Passkey::ProfessionalId))
                .col(string_uniq(Passkey::CredentialId))
                .col(text(Passkey::Credential))
                .col(string(Passkey::Label))
                .col(timestamp_with_time_zone(Passkey::CreatedAt))
                .col(timestamp_with_time_zone_null(Passkey::LastUsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Passkey::Table, Passkey::ProfessionalId)
                        .to(Professional::Table, Professional::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_passkey_professional")
                .table(Passkey::Table)
                .col(Passkey::ProfessionalId)
                .to_owned(),
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
        let db = m.get_connection();
        db.execute_unprepared(
            "INSERT INTO passkey (id, professional_id, credential_id, credential, label, \
             created_at, last_used_at) \
             SELECT id, owner_id, credential_id, passkey, label, created_at, last_used_at \
             FROM credential WHERE owner_kind = 'professional' AND revoked_at IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO staff_passkey (id, staff_member_id, credential_id, credential, label, \
             created_at, last_used_at) \
             SELECT id, owner_id, credential_id, passkey, label, created_at, last_used_at \
             FROM credential WHERE owner_kind = 'staff' AND revoked_at IS NULL",
        )
        .await?;
        for t in [
            SessionCredential::Table.into_iden(),
            CredentialReport::Table.into_iden(),
            Credential::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
