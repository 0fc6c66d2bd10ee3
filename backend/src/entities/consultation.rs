//! The pre-vaccination consultation: eligibility, contraindications, consent, outcome.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consultation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub structure_id: Uuid,
    pub professional_id: Uuid,
    pub staff_member_id: Option<Uuid>,
    pub session_id: Uuid,
    pub terminal_id: Option<Uuid>,
    pub eligible: bool,
    pub contraindications: String,
    pub consent: bool,
    pub outcome: vigie_shared::api::vaccination::ConsultationOutcome,
    pub postpone_reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
