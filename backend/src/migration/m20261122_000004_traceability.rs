//! Vaccination traceability: patients, consultations, injections and their revisions, lots,
//! adverse-effect declarations, idempotent writes, and the DCC codes of the catalogue.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Professional {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum VaccineProduct {
    Table,
    Id,
    DccProphylaxis,
    DccManufacturer,
}

#[derive(DeriveIden)]
enum Patient {
    Table,
    Id,
    Nir,
    FamilyName,
    GivenNames,
    BirthDate,
    Sex,
    ResidenceDepartment,
    EsmsFiness,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum VaccineLot {
    Table,
    Id,
    StructureId,
    ProductId,
    Number,
    ExpiresOn,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Consultation {
    Table,
    Id,
    PatientId,
    StructureId,
    ProfessionalId,
    StaffMemberId,
    SessionId,
    TerminalId,
    Eligible,
    Contraindications,
    Consent,
    Outcome,
    PostponeReason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Injection {
    Table,
    Id,
    PatientId,
    ConsultationId,
    StructureId,
    ProductId,
    LotId,
    DoseNumber,
    SeriesDoses,
    Booster,
    Site,
    AdministeredAt,
    ProfessionalId,
    StaffMemberId,
    SessionId,
    TerminalId,
    EsmsFiness,
    Status,
    Version,
    ConfirmedWarnings,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InjectionRevision {
    Table,
    Id,
    InjectionId,
    Version,
    Snapshot,
    Change,
    Reason,
    ChangedBy,
    SessionId,
    ChangedAt,
}

#[derive(DeriveIden)]
enum AdverseEffect {
    Table,
    Id,
    InjectionId,
    PatientId,
    Description,
    DeclaredBy,
    SessionId,
    DeclaredAt,
}

#[derive(DeriveIden)]
enum IdempotentWrite {
    Table,
    Key,
    PrincipalId,
    RequestHash,
    Status,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PatientAccess {
    Table,
    SessionId,
    PatientId,
    GrantedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            VaccineProduct::DccProphylaxis,
            VaccineProduct::DccManufacturer,
        ] {
            m.alter_table(
                Table::alter()
                    .table(VaccineProduct::Table)
                    .add_column(string(col).default(""))
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(Patient::Table)
                .if_not_exists()
                .col(pk_uuid(Patient::Id))
                .col(string_uniq(Patient::Nir))
                .col(string(Patient::FamilyName))
                .col(string(Patient::GivenNames))
                .col(date(Patient::BirthDate))
                .col(string(Patient::Sex))
                .col(string(Patient::ResidenceDepartment))
                .col(string_null(Patient::EsmsFiness))
                .col(timestamp_with_time_zone(Patient::CreatedAt))
                .col(timestamp_with_time_zone(Patient::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_patient_name_birth")
                .table(Patient::Table)
                .col(Patient::BirthDate)
                .col(Patient::FamilyName)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(VaccineLot::Table)
                .if_not_exists()
                .col(pk_uuid(VaccineLot::Id))
                .col(uuid(VaccineLot::StructureId))
                .col(uuid(VaccineLot::ProductId))
                .col(string(VaccineLot::Number))
                .col(date(VaccineLot::ExpiresOn))
                .col(boolean(VaccineLot::Active))
                .col(timestamp_with_time_zone(VaccineLot::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(VaccineLot::Table, VaccineLot::StructureId)
                        .to(Structure::Table, Structure::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(VaccineLot::Table, VaccineLot::ProductId)
                        .to(VaccineProduct::Table, VaccineProduct::Id),
                )
                .index(
                    Index::create()
                        .name("uq_lot_structure_product_number")
                        .col(VaccineLot::StructureId)
                        .col(VaccineLot::ProductId)
                        .col(VaccineLot::Number)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Consultation::Table)
                .if_not_exists()
                .col(pk_uuid(Consultation::Id))
                .col(uuid(Consultation::PatientId))
                .col(uuid(Consultation::StructureId))
                .col(uuid(Consultation::ProfessionalId))
                .col(uuid_null(Consultation::StaffMemberId))
                .col(uuid(Consultation::SessionId))
                .col(uuid_null(Consultation::TerminalId))
                .col(boolean(Consultation::Eligible))
                .col(string(Consultation::Contraindications))
                .col(boolean(Consultation::Consent))
                .col(string(Consultation::Outcome))
                .col(string_null(Consultation::PostponeReason))
                .col(timestamp_with_time_zone(Consultation::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Consultation::Table, Consultation::PatientId)
                        .to(Patient::Table, Patient::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Injection::Table)
                .if_not_exists()
                .col(pk_uuid(Injection::Id))
                .col(uuid(Injection::PatientId))
                .col(uuid_null(Injection::ConsultationId))
                .col(uuid(Injection::StructureId))
                .col(uuid(Injection::ProductId))
                .col(uuid(Injection::LotId))
                .col(integer(Injection::DoseNumber))
                .col(integer(Injection::SeriesDoses))
                .col(boolean(Injection::Booster))
                .col(string(Injection::Site))
                .col(timestamp_with_time_zone(Injection::AdministeredAt))
                .col(uuid(Injection::ProfessionalId))
                .col(uuid_null(Injection::StaffMemberId))
                .col(uuid(Injection::SessionId))
                .col(uuid_null(Injection::TerminalId))
                .col(string_null(Injection::EsmsFiness))
                .col(string(Injection::Status))
                .col(integer(Injection::Version))
                .col(text(Injection::ConfirmedWarnings))
                .col(timestamp_with_time_zone(Injection::CreatedAt))
                .col(timestamp_with_time_zone(Injection::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Injection::Table, Injection::PatientId)
                        .to(Patient::Table, Patient::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Injection::Table, Injection::LotId)
                        .to(VaccineLot::Table, VaccineLot::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Injection::Table, Injection::ProfessionalId)
                        .to(Professional::Table, Professional::Id),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_injection_patient", Injection::PatientId),
            ("idx_injection_structure", Injection::StructureId),
            ("idx_injection_professional", Injection::ProfessionalId),
            ("idx_injection_session", Injection::SessionId),
        ] {
            m.create_index(
                Index::create()
                    .if_not_exists()
                    .name(name)
                    .table(Injection::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(InjectionRevision::Table)
                .if_not_exists()
                .col(pk_uuid(InjectionRevision::Id))
                .col(uuid(InjectionRevision::InjectionId))
                .col(integer(InjectionRevision::Version))
                .col(text(InjectionRevision::Snapshot))
                .col(string(InjectionRevision::Change))
                .col(text(InjectionRevision::Reason))
                .col(string(InjectionRevision::ChangedBy))
                .col(uuid(InjectionRevision::SessionId))
                .col(timestamp_with_time_zone(InjectionRevision::ChangedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(InjectionRevision::Table, InjectionRevision::InjectionId)
                        .to(Injection::Table, Injection::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AdverseEffect::Table)
                .if_not_exists()
                .col(pk_uuid(AdverseEffect::Id))
                .col(uuid(AdverseEffect::InjectionId))
                .col(uuid(AdverseEffect::PatientId))
                .col(text(AdverseEffect::Description))
                .col(string(AdverseEffect::DeclaredBy))
                .col(uuid(AdverseEffect::SessionId))
                .col(timestamp_with_time_zone(AdverseEffect::DeclaredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(AdverseEffect::Table, AdverseEffect::InjectionId)
                        .to(Injection::Table, Injection::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IdempotentWrite::Table)
                .if_not_exists()
                .col(string(IdempotentWrite::Key).primary_key())
                .col(string(IdempotentWrite::PrincipalId))
                .col(string(IdempotentWrite::RequestHash))
                .col(integer(IdempotentWrite::Status))
                .col(text(IdempotentWrite::Body))
                .col(timestamp_with_time_zone(IdempotentWrite::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PatientAccess::Table)
                .if_not_exists()
                .col(uuid(PatientAccess::SessionId))
                .col(uuid(PatientAccess::PatientId))
                .col(timestamp_with_time_zone(PatientAccess::GrantedAt))
                .primary_key(
                    Index::create()
                        .col(PatientAccess::SessionId)
                        .col(PatientAccess::PatientId),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PatientAccess::Table.into_iden(),
            IdempotentWrite::Table.into_iden(),
            AdverseEffect::Table.into_iden(),
            InjectionRevision::Table.into_iden(),
            Injection::Table.into_iden(),
            Consultation::Table.into_iden(),
            VaccineLot::Table.into_iden(),
            Patient::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
