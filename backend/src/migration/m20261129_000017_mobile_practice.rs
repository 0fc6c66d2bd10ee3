//! Practitioners on the move: a professional's own practice (no structure), the place of each
//! dose given there, counted lot stock (received, injected, wasted), and offline entry — the
//! permits the server signs for a device and every entry synced under them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Structure {
    Table,
    OwnerProfessionalId,
}

#[derive(DeriveIden)]
enum VaccineLot {
    Table,
    Id,
    DosesReceived,
    DosesUsed,
    DosesWasted,
}

#[derive(DeriveIden)]
enum Injection {
    Table,
    PlaceKind,
    PlaceAddress,
}

#[derive(DeriveIden)]
enum LotWastage {
    Table,
    Id,
    LotId,
    Doses,
    Reason,
    DeclaredBy,
    SessionId,
    DeclaredAt,
}

#[derive(DeriveIden)]
enum OfflinePermit {
    Table,
    Id,
    ProfessionalId,
    StaffMemberId,
    SessionId,
    DeviceId,
    DeviceName,
    MaxEntries,
    UsedEntries,
    IssuedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum OfflineEntry {
    Table,
    Id,
    PermitId,
    Typist,
    IdempotencyKey,
    ProfessionalId,
    StaffMemberId,
    DeviceTime,
    ReceivedAt,
    Outcome,
    Reasons,
    Message,
    PatientId,
    InjectionId,
    ReviewedAt,
}

const OWN_PRACTICE: &str = "ux_structure_owner_professional";
const ENTRY_KEY: &str = "ux_offline_entry_typist_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let add = |table: DynIden, column: ColumnDef| {
            Table::alter().table(table).add_column(column).to_owned()
        };
        for alter in [
            add(
                Structure::Table.into_iden(),
                uuid_null(Structure::OwnerProfessionalId),
            ),
            add(
                VaccineLot::Table.into_iden(),
                integer_null(VaccineLot::DosesReceived),
            ),
            add(
                VaccineLot::Table.into_iden(),
                integer(VaccineLot::DosesUsed).default(0).to_owned(),
            ),
            add(
                VaccineLot::Table.into_iden(),
                integer(VaccineLot::DosesWasted).default(0).to_owned(),
            ),
            add(
                Injection::Table.into_iden(),
                string_null(Injection::PlaceKind),
            ),
            add(
                Injection::Table.into_iden(),
                text_null(Injection::PlaceAddress),
            ),
        ] {
            m.alter_table(alter).await?;
        }
        // One own practice per professional, whatever two requests do at once.
        m.create_index(
            Index::create()
                .name(OWN_PRACTICE)
                .table(Structure::Table)
                .col(Structure::OwnerProfessionalId)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LotWastage::Table)
                .if_not_exists()
                .col(pk_uuid(LotWastage::Id))
                .col(uuid(LotWastage::LotId))
                .col(integer(LotWastage::Doses))
                .col(text(LotWastage::Reason))
                .col(uuid(LotWastage::DeclaredBy))
                .col(uuid(LotWastage::SessionId))
                .col(timestamp_with_time_zone(LotWastage::DeclaredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(LotWastage::Table, LotWastage::LotId)
                        .to(VaccineLot::Table, VaccineLot::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OfflinePermit::Table)
                .if_not_exists()
                .col(pk_uuid(OfflinePermit::Id))
                .col(uuid(OfflinePermit::ProfessionalId))
                .col(uuid_null(OfflinePermit::StaffMemberId))
                .col(uuid(OfflinePermit::SessionId))
                .col(uuid(OfflinePermit::DeviceId))
                .col(string(OfflinePermit::DeviceName))
                .col(integer(OfflinePermit::MaxEntries))
                .col(integer(OfflinePermit::UsedEntries))
                .col(timestamp_with_time_zone(OfflinePermit::IssuedAt))
                .col(timestamp_with_time_zone(OfflinePermit::ExpiresAt))
                .col(timestamp_with_time_zone_null(OfflinePermit::RevokedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_offline_permit_professional")
                .table(OfflinePermit::Table)
                .col(OfflinePermit::ProfessionalId)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OfflineEntry::Table)
                .if_not_exists()
                .col(pk_uuid(OfflineEntry::Id))
                .col(uuid(OfflineEntry::PermitId))
                // Whoever typed (the staff member, else the professional): keys live in their space.
                .col(uuid(OfflineEntry::Typist))
                .col(uuid(OfflineEntry::IdempotencyKey))
                .col(uuid(OfflineEntry::ProfessionalId))
                .col(uuid_null(OfflineEntry::StaffMemberId))
                .col(timestamp_with_time_zone(OfflineEntry::DeviceTime))
                .col(timestamp_with_time_zone(OfflineEntry::ReceivedAt))
                .col(string(OfflineEntry::Outcome))
                .col(text(OfflineEntry::Reasons))
                .col(text_null(OfflineEntry::Message))
                .col(uuid_null(OfflineEntry::PatientId))
                .col(uuid_null(OfflineEntry::InjectionId))
                .col(timestamp_with_time_zone_null(OfflineEntry::ReviewedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OfflineEntry::Table, OfflineEntry::PermitId)
                        .to(OfflinePermit::Table, OfflinePermit::Id),
                )
                .to_owned(),
        )
        .await?;
        // An entry lands once, however many times its queue is sent.
        m.create_index(
            Index::create()
                .name(ENTRY_KEY)
                .table(OfflineEntry::Table)
                .col(OfflineEntry::Typist)
                .col(OfflineEntry::IdempotencyKey)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_offline_entry_professional")
                .table(OfflineEntry::Table)
                .col(OfflineEntry::ProfessionalId)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OfflineEntry::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(OfflinePermit::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(LotWastage::Table).to_owned())
            .await?;
        m.drop_index(
            Index::drop()
                .name(OWN_PRACTICE)
                .table(Structure::Table)
                .to_owned(),
        )
        .await?;
        let drop = |table: DynIden, column: DynIden| {
            Table::alter().table(table).drop_column(column).to_owned()
        };
        for alter in [
            drop(
                Injection::Table.into_iden(),
                Injection::PlaceAddress.into_iden(),
            ),
            drop(
                Injection::Table.into_iden(),
                Injection::PlaceKind.into_iden(),
            ),
            drop(
                VaccineLot::Table.into_iden(),
                VaccineLot::DosesWasted.into_iden(),
            ),
            drop(
                VaccineLot::Table.into_iden(),
                VaccineLot::DosesUsed.into_iden(),
            ),
            drop(
                VaccineLot::Table.into_iden(),
                VaccineLot::DosesReceived.into_iden(),
            ),
            drop(
                Structure::Table.into_iden(),
                Structure::OwnerProfessionalId.into_iden(),
            ),
        ] {
            m.alter_table(alter).await?;
        }
        Ok(())
    }
}
