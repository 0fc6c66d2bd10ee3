use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "structure")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub finess: String,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub department: String,
    /// JSON of the shared `OpeningHours`; empty when not given.
    pub opening_hours: String,
    pub created_at: DateTimeUtc,
    /// A professional's own practice (no structure): the professional it belongs to.
    pub owner_professional_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
