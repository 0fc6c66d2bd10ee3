//! Push approval (e-CPS style) and what surrounds it: terminals, approval requests, push
//! freezes, approver devices, incidents, the hash-chained audit trail, live events, mail outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Terminal {
    Table,
    Id,
    TokenHash,
    Label,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum TerminalUsage {
    Table,
    ProfessionalId,
    TerminalId,
    FirstUsedAt,
}

#[derive(DeriveIden)]
enum ApprovalRequest {
    Table,
    Id,
    NationalId,
    ProfessionalId,
    TerminalId,
    TerminalLabel,
    Place,
    Ip,
    CreatedAt,
    ExpiresAt,
    Status,
    DecidedAt,
    CodeHash,
    CodeAttempts,
    Atypical,
    SessionId,
    Claimed,
}

#[derive(DeriveIden)]
enum PushFreeze {
    Table,
    NationalId,
    FrozenUntil,
    Reason,
    ConsecutiveFailures,
    Level,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApproverDevice {
    Table,
    Id,
    ProfessionalId,
    TokenHash,
    Label,
    CreatedAt,
    LastSeenAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Incident {
    Table,
    Id,
    ProfessionalId,
    ApprovalId,
    Kind,
    OpenedAt,
    Status,
    ClosedAt,
    ClosedBy,
    Note,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Seq,
    At,
    Actor,
    Authority,
    SessionId,
    Terminal,
    Action,
    Subject,
    Details,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum LiveEvent {
    Table,
    Id,
    At,
    Channel,
    Kind,
    Payload,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    Recipient,
    Subject,
    Body,
    CreatedAt,
    SentAt,
    Error,
}

#[derive(DeriveIden)]
enum WebauthnCeremony {
    Table,
    ApprovalId,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    ReportTokenHash,
}

#[derive(DeriveIden)]
enum Activation {
    Table,
    Id,
    ProfessionalId,
    LinkTokenHash,
    SmsCodeHash,
    Attempts,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum SmsOutbox {
    Table,
    Id,
    Recipient,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoleGrant {
    Table,
    ProfessionalId,
    Role,
    GrantedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Terminal::Table)
                .if_not_exists()
                .col(pk_uuid(Terminal::Id))
                .col(string_uniq(Terminal::TokenHash))
                .col(string(Terminal::Label))
                .col(timestamp_with_time_zone(Terminal::CreatedAt))
                .col(timestamp_with_time_zone(Terminal::LastSeenAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TerminalUsage::Table)
                .if_not_exists()
                .col(uuid(TerminalUsage::ProfessionalId))
                .col(uuid(TerminalUsage::TerminalId))
                .col(timestamp_with_time_zone(TerminalUsage::FirstUsedAt))
                .primary_key(
                    Index::create()
                        .col(TerminalUsage::ProfessionalId)
                        .col(TerminalUsage::TerminalId),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApprovalRequest::Table)
                .if_not_exists()
                .col(pk_uuid(ApprovalRequest::Id))
                .col(string(ApprovalRequest::NationalId))
                .col(uuid_null(ApprovalRequest::ProfessionalId))
                .col(uuid(ApprovalRequest::TerminalId))
                .col(string(ApprovalRequest::TerminalLabel))
                .col(string(ApprovalRequest::Place))
                .col(string(ApprovalRequest::Ip))
                .col(timestamp_with_time_zone(ApprovalRequest::CreatedAt))
                .col(timestamp_with_time_zone(ApprovalRequest::ExpiresAt))
                .col(string(ApprovalRequest::Status))
                .col(timestamp_with_time_zone_null(ApprovalRequest::DecidedAt))
                .col(string(ApprovalRequest::CodeHash))
                .col(integer(ApprovalRequest::CodeAttempts))
                .col(text(ApprovalRequest::Atypical))
                .col(uuid_null(ApprovalRequest::SessionId))
                .col(boolean(ApprovalRequest::Claimed))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_approval_identity_time")
                .table(ApprovalRequest::Table)
                .col(ApprovalRequest::NationalId)
                .col(ApprovalRequest::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_approval_ip_time")
                .table(ApprovalRequest::Table)
                .col(ApprovalRequest::Ip)
                .col(ApprovalRequest::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("idx_approval_status")
                .table(ApprovalRequest::Table)
                .col(ApprovalRequest::Status)
                .col(ApprovalRequest::ExpiresAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PushFreeze::Table)
                .if_not_exists()
                .col(string(PushFreeze::NationalId).primary_key())
                .col(timestamp_with_time_zone_null(PushFreeze::FrozenUntil))
                .col(string(PushFreeze::Reason))
                .col(integer(PushFreeze::ConsecutiveFailures))
                .col(integer(PushFreeze::Level))
                .col(timestamp_with_time_zone(PushFreeze::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApproverDevice::Table)
                .if_not_exists()
                .col(pk_uuid(ApproverDevice::Id))
                .col(uuid(ApproverDevice::ProfessionalId))
                .col(string_uniq(ApproverDevice::TokenHash))
                .col(string(ApproverDevice::Label))
                .col(timestamp_with_time_zone(ApproverDevice::CreatedAt))
                .col(timestamp_with_time_zone(ApproverDevice::LastSeenAt))
                .col(timestamp_with_time_zone_null(ApproverDevice::RevokedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Incident::Table)
                .if_not_exists()
                .col(pk_uuid(Incident::Id))
                .col(uuid(Incident::ProfessionalId))
                .col(uuid_null(Incident::ApprovalId))
                .col(string(Incident::Kind))
                .col(timestamp_with_time_zone(Incident::OpenedAt))
                .col(string(Incident::Status))
                .col(timestamp_with_time_zone_null(Incident::ClosedAt))
                .col(string_null(Incident::ClosedBy))
                .col(text_null(Incident::Note))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditEvent::Table)
                .if_not_exists()
                .col(big_integer(AuditEvent::Seq).primary_key())
                .col(timestamp_with_time_zone(AuditEvent::At))
                .col(string_null(AuditEvent::Actor))
                .col(string_null(AuditEvent::Authority))
                .col(uuid_null(AuditEvent::SessionId))
                .col(string_null(AuditEvent::Terminal))
                .col(string(AuditEvent::Action))
                .col(string_null(AuditEvent::Subject))
                .col(text(AuditEvent::Details))
                .col(string(AuditEvent::PrevHash))
                .col(string(AuditEvent::Hash))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditHead::Table)
                .if_not_exists()
                .col(integer(AuditHead::Id).primary_key())
                .col(big_integer(AuditHead::Seq))
                .col(string(AuditHead::Hash))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(AuditHead::Table)
                .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                .values_panic([1.into(), 0i64.into(), "0".repeat(64).into()])
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LiveEvent::Table)
                .if_not_exists()
                .col(big_pk_auto(LiveEvent::Id))
                .col(timestamp_with_time_zone(LiveEvent::At))
                .col(string(LiveEvent::Channel))
                .col(string(LiveEvent::Kind))
                .col(text(LiveEvent::Payload))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MailOutbox::Table)
                .if_not_exists()
                .col(pk_uuid(MailOutbox::Id))
                .col(string(MailOutbox::Recipient))
                .col(string(MailOutbox::Subject))
                .col(text(MailOutbox::Body))
                .col(timestamp_with_time_zone(MailOutbox::CreatedAt))
                .col(timestamp_with_time_zone_null(MailOutbox::SentAt))
                .col(text_null(MailOutbox::Error))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(WebauthnCeremony::Table)
                .add_column(uuid_null(WebauthnCeremony::ApprovalId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Session::Table)
                .add_column(string_null(Session::ReportTokenHash))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Activation::Table)
                .if_not_exists()
                .col(pk_uuid(Activation::Id))
                .col(uuid(Activation::ProfessionalId))
                .col(string_uniq(Activation::LinkTokenHash))
                .col(string(Activation::SmsCodeHash))
                .col(integer(Activation::Attempts))
                .col(timestamp_with_time_zone(Activation::CreatedAt))
                .col(timestamp_with_time_zone(Activation::ExpiresAt))
                .col(timestamp_with_time_zone_null(Activation::UsedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SmsOutbox::Table)
                .if_not_exists()
                .col(pk_uuid(SmsOutbox::Id))
                .col(string(SmsOutbox::Recipient))
                .col(text(SmsOutbox::Body))
                .col(timestamp_with_time_zone(SmsOutbox::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RoleGrant::Table)
                .if_not_exists()
                .col(uuid(RoleGrant::ProfessionalId))
                .col(string(RoleGrant::Role))
                .col(timestamp_with_time_zone(RoleGrant::GrantedAt))
                .primary_key(
                    Index::create()
                        .col(RoleGrant::ProfessionalId)
                        .col(RoleGrant::Role),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Session::Table)
                .drop_column(Session::ReportTokenHash)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(WebauthnCeremony::Table)
                .drop_column(WebauthnCeremony::ApprovalId)
                .to_owned(),
        )
        .await?;
        for t in [
            RoleGrant::Table.into_iden(),
            SmsOutbox::Table.into_iden(),
            Activation::Table.into_iden(),
            MailOutbox::Table.into_iden(),
            LiveEvent::Table.into_iden(),
            AuditHead::Table.into_iden(),
            AuditEvent::Table.into_iden(),
            Incident::Table.into_iden(),
            ApproverDevice::Table.into_iden(),
            PushFreeze::Table.into_iden(),
            ApprovalRequest::Table.into_iden(),
            TerminalUsage::Table.into_iden(),
            Terminal::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
