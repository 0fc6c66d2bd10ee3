//! A passkey, whoever holds it (a professional or a staff member): one table, one service
//! (`crate::credentials`). A revoked one keeps its row and never signs in again.
use sea_orm::entity::prelude::*;
pub use vigie_shared::api::credentials::OwnerKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credential")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_kind: OwnerKind,
    pub owner_id: Uuid,
    /// The authenticator's credential id (base64url), unique.
    pub credential_id: String,
    /// webauthn-rs's `Passkey`, as JSON (public key and signature counter).
    pub passkey: String,
    pub label: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
