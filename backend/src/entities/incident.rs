use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Whom it concerns: a professional, or a structure account.
    pub professional_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub approval_id: Option<Uuid>,
    pub kind: String,
    pub opened_at: DateTimeUtc,
    pub status: String,
    pub closed_at: Option<DateTimeUtc>,
    pub closed_by: Option<String>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
