use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "terminal_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub professional_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub terminal_id: Uuid,
    pub first_used_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
