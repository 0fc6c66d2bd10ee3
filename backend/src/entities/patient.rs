//! A vaccinated person, found by NIR (never in a URL, a log or the database: only its keyed
//! fingerprint is stored) or by name + birth date.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patient")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Keyed fingerprint of the NIR (`vault::Fingerprint`): finds the patient, reveals nothing.
    #[sea_orm(column_name = "nir")]
    pub nir_key: String,
    /// The NIR as screens show it: "2 55 08 ** *** *** **" (sex, year and month of birth).
    pub nir_masked: String,
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
