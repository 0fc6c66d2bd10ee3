use sea_orm::entity::prelude::*;

/// An approver phone's Web Push subscription (one per phone).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_subscription")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_id: Uuid,
    pub professional_id: Uuid,
    /// Endpoint and keys (JSON), sealed by the vault (`vault::PUSH_SUBSCRIPTION`).
    pub body: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
