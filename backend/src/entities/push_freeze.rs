use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_freeze")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub national_id: String,
    pub frozen_until: Option<DateTimeUtc>,
    pub reason: String,
    pub consecutive_failures: i32,
    pub level: i32,
    /// The current run of failures holds a refusal by the phone (only such runs escalate).
    pub refused_in_run: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
