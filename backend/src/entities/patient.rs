//! A vaccinated person, found by NIR (never in a URL or a log) or by name + birth date.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patient")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub nir: String,
    pub family_name: String,
    pub given_names: String,
    pub birth_date: Date,
    /// Stored `M` / `F`.
    pub sex: vigie_shared::Sex,
    pub residence_department: String,
    pub esms_finess: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
