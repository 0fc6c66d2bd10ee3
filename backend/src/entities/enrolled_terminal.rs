use sea_orm::entity::prelude::*;

/// A hall tablet enrolled by its structure's manager, known by its device key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrolled_terminal")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub structure_id: Uuid,
    pub name: String,
    /// SubjectPublicKeyInfo (DER), base64url without padding.
    pub public_key: String,
    /// The structure account or manager professional who enrolled it.
    pub enrolled_by: Uuid,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
