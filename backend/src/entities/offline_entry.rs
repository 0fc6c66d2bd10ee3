//! One entry made offline and synced: its device time and reception time, what became of it,
//! and whether the professional has looked at it again.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offline_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub permit_id: Uuid,
    pub typist: Uuid,
    pub idempotency_key: Uuid,
    pub professional_id: Uuid,
    pub staff_member_id: Option<Uuid>,
    pub device_time: DateTimeUtc,
    pub received_at: DateTimeUtc,
    pub outcome: vigie_shared::api::offline::SyncOutcome,
    /// JSON list of `ReviewReason`.
    pub reasons: String,
    pub message: Option<String>,
    pub patient_id: Option<Uuid>,
    pub injection_id: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
