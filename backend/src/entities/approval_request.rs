use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approval_request")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub national_id: String,
    pub professional_id: Option<Uuid>,
    pub terminal_id: Uuid,
    pub terminal_label: String,
    pub place: String,
    pub ip: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// An unknown stored value is an error when read, never a plausible default.
    pub status: vigie_shared::api::approval::ApprovalStatus,
    pub decided_at: Option<DateTimeUtc>,
    pub code_hash: String,
    pub code_attempts: i32,
    pub atypical: String,
    pub session_id: Option<Uuid>,
    pub claimed: bool,
    /// Delegated request: the staff member asking, in which structure, from which session.
    pub staff_member_id: Option<Uuid>,
    pub structure_id: Option<Uuid>,
    pub requested_by: Option<String>,
    pub requester_session_id: Option<Uuid>,
    /// The enrolled terminal whose signature came with the request (`terminals`), and its
    /// structure's name as the phone shows it; none for an unknown terminal.
    pub enrolled_terminal_id: Option<Uuid>,
    pub terminal_structure: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
