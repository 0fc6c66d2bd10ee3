use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vaccine_product")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub manufacturer: String,
    pub eu_authorisation: String,
    pub doses_in_schedule: i32,
    pub min_interval_days: i32,
    pub min_age_years: i32,
    pub active: bool,
    /// EU DCC value sets: vaccine/prophylaxis (`vp`) and marketing authorisation holder (`ma`).
    pub dcc_prophylaxis: String,
    pub dcc_manufacturer: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
