//! A lot of a product held by a structure (or a professional's own practice: their personal
//! stock); only active, unexpired lots with doses left may be used.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vaccine_lot")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub structure_id: Uuid,
    pub product_id: Uuid,
    pub number: String,
    pub expires_on: Date,
    pub active: bool,
    pub created_at: DateTimeUtc,
    /// None: registered before stock was counted (never runs out).
    pub doses_received: Option<i32>,
    pub doses_used: i32,
    pub doses_wasted: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
