use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webauthn_ceremony")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub professional_id: Option<Uuid>,
    pub enrolment_id: Option<Uuid>,
    pub state: Option<String>,
    pub expires_at: DateTimeUtc,
    pub approval_id: Option<Uuid>,
    pub staff_member_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
