//! A structure's password account (amelipro rules): FINESS or Assurance Maladie number as the
//! identifier, Argon2id hash, expiry and history, SMS second factor.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "structure_account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub structure_id: Uuid,
    pub identifier: String,
    pub display_name: String,
    pub email: String,
    pub mobile: String,
    /// PHC string (`$argon2id$…`).
    pub password_hash: String,
    pub password_changed_at: DateTimeUtc,
    /// Set for a password chosen by an operator: the first sign-in must replace it.
    pub must_change_password: bool,
    pub failed_attempts: i32,
    pub locked_until: Option<DateTimeUtc>,
    /// Wrong SMS codes since `factor_window_start`, across the account's sessions.
    pub factor_failures: i32,
    pub factor_window_start: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
