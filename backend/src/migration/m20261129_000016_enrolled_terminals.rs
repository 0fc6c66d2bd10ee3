//! Hall tablets enrolled by their structure's manager: each holds a non-extractable device key
//! (ECDSA P-256) whose public half is kept here; requests it signs over a single-use server
//! nonce are shown on the phone as coming from "Tablette 3 — <structure>".

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EnrolledTerminal {
    Table,
    Id,
    StructureId,
    Name,
    PublicKey,
    EnrolledBy,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum TerminalNonce {
    Table,
    NonceHash,
    EnrolledTerminalId,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApprovalRequest {
    Table,
    TerminalId,
    CreatedAt,
    EnrolledTerminalId,
    TerminalStructure,
}

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(EnrolledTerminal::Table)
                .if_not_exists()
                .col(pk_uuid(EnrolledTerminal::Id))
                .col(uuid(EnrolledTerminal::StructureId))
                .col(string(EnrolledTerminal::Name))
                // SubjectPublicKeyInfo (DER, base64url): a public key, nothing to seal.
                .col(text(EnrolledTerminal::PublicKey))
                .col(uuid(EnrolledTerminal::EnrolledBy))
                .col(timestamp_with_time_zone(EnrolledTerminal::CreatedAt))
                .col(timestamp_with_time_zone_null(EnrolledTerminal::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(EnrolledTerminal::Table, EnrolledTerminal::StructureId)
                        .to(Structure::Table, Structure::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_enrolled_terminal_structure")
                .table(EnrolledTerminal::Table)
                .col(EnrolledTerminal::StructureId)
                .to_owned(),
        )
        .await?;
        // A nonce is spent by deleting its row: one statement, so only one request wins it.
        m.create_table(
            Table::create()
                .table(TerminalNonce::Table)
                .if_not_exists()
                .col(string(TerminalNonce::NonceHash).primary_key())
                .col(uuid(TerminalNonce::EnrolledTerminalId))
                .col(timestamp_with_time_zone(TerminalNonce::ExpiresAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(TerminalNonce::Table, TerminalNonce::EnrolledTerminalId)
                        .to(EnrolledTerminal::Table, EnrolledTerminal::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApprovalRequest::Table)
                .add_column(uuid_null(ApprovalRequest::EnrolledTerminalId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApprovalRequest::Table)
                .add_column(string_null(ApprovalRequest::TerminalStructure))
                .to_owned(),
        )
        .await?;
        // "Many identities from one terminal" counts a terminal's last ten minutes.
        m.create_index(
            Index::create()
                .name("idx_approval_request_terminal_time")
                .table(ApprovalRequest::Table)
                .col(ApprovalRequest::TerminalId)
                .col(ApprovalRequest::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_approval_request_enrolled_time")
                .table(ApprovalRequest::Table)
                .col(ApprovalRequest::EnrolledTerminalId)
                .col(ApprovalRequest::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "idx_approval_request_enrolled_time",
            "idx_approval_request_terminal_time",
        ] {
            m.drop_index(
                Index::drop()
                    .name(name)
                    .table(ApprovalRequest::Table)
                    .to_owned(),
            )
            .await?;
        }
        for column in [
            ApprovalRequest::TerminalStructure,
            ApprovalRequest::EnrolledTerminalId,
        ] {
            m.alter_table(
                Table::alter()
                    .table(ApprovalRequest::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(TerminalNonce::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(EnrolledTerminal::Table).to_owned())
            .await
    }
}
