//! A permit the server signed for one device: this professional (or delegate under this
//! authority), at most `max_entries` offline entries, until `expires_at`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offline_permit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub professional_id: Uuid,
    pub staff_member_id: Option<Uuid>,
    /// The session it was issued in: entries are recorded under it, as if typed online.
    pub session_id: Uuid,
    pub device_id: Uuid,
    pub device_name: String,
    pub max_entries: i32,
    pub used_entries: i32,
    pub issued_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
