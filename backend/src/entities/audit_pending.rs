use sea_orm::entity::prelude::*;

/// An audit event written with its write, waiting for its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_pending")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor: Option<String>,
    pub authority: Option<String>,
    pub session_id: Option<Uuid>,
    pub terminal: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub details: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
