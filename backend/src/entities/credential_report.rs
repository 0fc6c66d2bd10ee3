//! The single-use "Ce n'est pas moi" token of the mail sent when a credential was added
//! (hashed; it expires).
use sea_orm::entity::prelude::*;
use vigie_shared::api::credentials::OwnerKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credential_report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// What the mail announced: a passkey (`credential` row) and/or the phone created with it
    /// (`approver_device` row).
    pub passkey_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub owner_kind: OwnerKind,
    pub owner_id: Uuid,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
