//! One dose given. `professional_id` is the responsible professional (vaccinator, or the authority of a delegate who typed it).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "injection")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub patient_id: Uuid,
    pub consultation_id: Option<Uuid>,
    pub structure_id: Uuid,
    pub product_id: Uuid,
    pub lot_id: Uuid,
    pub dose_number: i32,
    pub series_doses: i32,
    pub booster: bool,
    pub site: vigie_shared::api::vaccination::InjectionSite,
    pub administered_at: DateTimeUtc,
    pub professional_id: Uuid,
    pub staff_member_id: Option<Uuid>,
    pub session_id: Uuid,
    pub terminal_id: Option<Uuid>,
    pub esms_finess: Option<String>,
    pub status: vigie_shared::api::vaccination::InjectionStatus,
    pub version: i32,
    pub confirmed_warnings: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The responsible professional contested this delegated entry.
    pub contested_at: Option<DateTimeUtc>,
    pub contest_reason: Option<String>,
    pub contested_by: Option<Uuid>,
    /// Given under the professional's own practice: where (`PlaceKind` code) and the address.
    pub place_kind: Option<String>,
    pub place_address: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
