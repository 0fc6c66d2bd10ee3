use sea_orm::entity::prelude::*;

/// A professional practises in a structure (a vaccination centre, an ES/ESMS…).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "practice")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub professional_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub structure_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
