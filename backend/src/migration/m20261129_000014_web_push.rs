//! Web Push to the approver phone: each phone's subscription (sealed: its endpoint and keys let
//! anyone push to the phone), and the outbox of pushes still to deliver.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PushSubscription {
    Table,
    /// The approver phone (`approver_device.id`): one subscription each.
    DeviceId,
    ProfessionalId,
    /// Endpoint and keys as JSON, sealed by the vault.
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PushOutbox {
    Table,
    Id,
    DeviceId,
    ApprovalId,
    CreatedAt,
    /// The request's end: past it the push is dropped unsent.
    ExpiresAt,
    /// Not before: a retry's backoff, or the lease of the instance sending it.
    NextAttemptAt,
    Attempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PushSubscription::Table)
                .if_not_exists()
                .col(uuid(PushSubscription::DeviceId).primary_key())
                .col(uuid(PushSubscription::ProfessionalId))
                .col(text(PushSubscription::Body))
                .col(timestamp_with_time_zone(PushSubscription::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_push_subscription_professional")
                .table(PushSubscription::Table)
                .col(PushSubscription::ProfessionalId)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PushOutbox::Table)
                .if_not_exists()
                .col(pk_uuid(PushOutbox::Id))
                .col(uuid(PushOutbox::DeviceId))
                .col(uuid(PushOutbox::ApprovalId))
                .col(timestamp_with_time_zone(PushOutbox::CreatedAt))
                .col(timestamp_with_time_zone(PushOutbox::ExpiresAt))
                .col(timestamp_with_time_zone(PushOutbox::NextAttemptAt))
                .col(integer(PushOutbox::Attempts).default(0))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_push_outbox_next_attempt")
                .table(PushOutbox::Table)
                .col(PushOutbox::NextAttemptAt)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PushOutbox::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(PushSubscription::Table).to_owned())
            .await
    }
}
