//! A professional who manages a structure (staff, hours, lots) with their passkey, besides the
//! structure's password account.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "structure_manager")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub professional_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub structure_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
