//! Directory (structures, professionals, staff), the vaccine catalogue, passkeys, WebAuthn
//! ceremonies, enrolment tokens, sessions and server secrets.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
    Finess,
    Name,
    Kind,
    Address,
    Department,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Professional {
    Table,
    Id,
    NationalId,
    Rpps,
    Civility,
    FirstName,
    LastName,
    Profession,
    Email,
    Mobile,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Practice {
    Table,
    ProfessionalId,
    StructureId,
}

#[derive(DeriveIden)]
enum StaffMember {
    Table,
    Id,
    StructureId,
    CpeNumber,
    FirstName,
    LastName,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum VaccineProduct {
    Table,
    Id,
    Code,
    Name,
    Manufacturer,
    EuAuthorisation,
    DosesInSchedule,
    MinIntervalDays,
    MinAgeYears,
    Active,
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
enum WebauthnCeremony {
    Table,
    Id,
    Kind,
    ProfessionalId,
    EnrolmentId,
    State,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Enrolment {
    Table,
    Id,
    TokenHash,
    ProfessionalId,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    TokenHash,
    ProfessionalId,
    Method,
    CreatedAt,
    LastSeenAt,
    IdleExpiresAt,
    AbsoluteExpiresAt,
    EndedAt,
    UserAgent,
    Ip,
}

#[derive(DeriveIden)]
enum ServerSecret {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Structure::Table)
                .if_not_exists()
                .col(pk_uuid(Structure::Id))
                .col(string_uniq(Structure::Finess))
                .col(string(Structure::Name))
                .col(string(Structure::Kind))
                .col(string(Structure::Address))
                .col(string(Structure::Department))
                .col(timestamp_with_time_zone(Structure::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Professional::Table)
                .if_not_exists()
                .col(pk_uuid(Professional::Id))
                .col(string_uniq(Professional::NationalId))
                .col(string_uniq(Professional::Rpps))
                .col(string(Professional::Civility))
                .col(string(Professional::FirstName))
                .col(string(Professional::LastName))
                .col(string(Professional::Profession))
                .col(string_null(Professional::Email))
                .col(string_null(Professional::Mobile))
                .col(timestamp_with_time_zone(Professional::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Practice::Table)
                .if_not_exists()
                .col(uuid(Practice::ProfessionalId))
                .col(uuid(Practice::StructureId))
                .primary_key(
                    Index::create()
                        .col(Practice::ProfessionalId)
                        .col(Practice::StructureId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Practice::Table, Practice::ProfessionalId)
                        .to(Professional::Table, Professional::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Practice::Table, Practice::StructureId)
                        .to(Structure::Table, Structure::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StaffMember::Table)
                .if_not_exists()
                .col(pk_uuid(StaffMember::Id))
                .col(uuid(StaffMember::StructureId))
                .col(string(StaffMember::CpeNumber))
                .col(string(StaffMember::FirstName))
                .col(string(StaffMember::LastName))
                .col(string(StaffMember::Role))
                .col(timestamp_with_time_zone(StaffMember::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(StaffMember::Table, StaffMember::StructureId)
                        .to(Structure::Table, Structure::Id),
                )
                .index(
                    Index::create()
                        .unique()
                        .col(StaffMember::StructureId)
                        .col(StaffMember::CpeNumber),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(VaccineProduct::Table)
                .if_not_exists()
                .col(pk_uuid(VaccineProduct::Id))
                .col(string_uniq(VaccineProduct::Code))
                .col(string(VaccineProduct::Name))
                .col(string(VaccineProduct::Manufacturer))
                .col(string(VaccineProduct::EuAuthorisation))
                .col(integer(VaccineProduct::DosesInSchedule))
                .col(integer(VaccineProduct::MinIntervalDays))
                .col(integer(VaccineProduct::MinAgeYears))
                .col(boolean(VaccineProduct::Active))
                .to_owned(),
        )
        .await?;
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
        m.create_table(
            Table::create()
                .table(Enrolment::Table)
                .if_not_exists()
                .col(pk_uuid(Enrolment::Id))
                .col(string_uniq(Enrolment::TokenHash))
                .col(uuid(Enrolment::ProfessionalId))
                .col(timestamp_with_time_zone(Enrolment::ExpiresAt))
                .col(timestamp_with_time_zone_null(Enrolment::UsedAt))
                .col(timestamp_with_time_zone(Enrolment::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Enrolment::Table, Enrolment::ProfessionalId)
                        .to(Professional::Table, Professional::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebauthnCeremony::Table)
                .if_not_exists()
                .col(pk_uuid(WebauthnCeremony::Id))
                .col(string(WebauthnCeremony::Kind))
                .col(uuid_null(WebauthnCeremony::ProfessionalId))
                .col(uuid_null(WebauthnCeremony::EnrolmentId))
                .col(text_null(WebauthnCeremony::State))
                .col(timestamp_with_time_zone(WebauthnCeremony::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Session::Table)
                .if_not_exists()
                .col(pk_uuid(Session::Id))
                .col(string_uniq(Session::TokenHash))
                .col(uuid(Session::ProfessionalId))
                .col(string(Session::Method))
                .col(timestamp_with_time_zone(Session::CreatedAt))
                .col(timestamp_with_time_zone(Session::LastSeenAt))
                .col(timestamp_with_time_zone(Session::IdleExpiresAt))
                .col(timestamp_with_time_zone(Session::AbsoluteExpiresAt))
                .col(timestamp_with_time_zone_null(Session::EndedAt))
                .col(string_null(Session::UserAgent))
                .col(string_null(Session::Ip))
                .foreign_key(
                    ForeignKey::create()
                        .from(Session::Table, Session::ProfessionalId)
                        .to(Professional::Table, Professional::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_session_professional")
                .table(Session::Table)
                .col(Session::ProfessionalId)
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
                .table(ServerSecret::Table)
                .if_not_exists()
                .col(string(ServerSecret::Name).primary_key())
                .col(blob(ServerSecret::Value))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ServerSecret::Table.into_iden(),
            Session::Table.into_iden(),
            WebauthnCeremony::Table.into_iden(),
            Enrolment::Table.into_iden(),
            Passkey::Table.into_iden(),
            VaccineProduct::Table.into_iden(),
            StaffMember::Table.into_iden(),
            Practice::Table.into_iden(),
            Professional::Table.into_iden(),
            Structure::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
