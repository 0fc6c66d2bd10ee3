use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub token_hash: String,
    /// The professional signed in, or the authority a delegate types under.
    pub professional_id: Option<Uuid>,
    /// A structure's password account.
    pub account_id: Option<Uuid>,
    /// The staff member typing under delegation.
    pub staff_member_id: Option<Uuid>,
    /// `active`, or what the session still lacks: `second_factor`, `password_change`.
    pub stage: vigie_shared::api::session::SessionStage,
    /// The second factor's one-time code (hash), its deadline and the tries spent on it.
    pub factor_code_hash: Option<String>,
    pub factor_expires_at: Option<DateTimeUtc>,
    pub factor_attempts: i32,
    pub method: String,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub idle_expires_at: DateTimeUtc,
    pub absolute_expires_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// Hash of the token in the sign-in mail's "Ce n'est pas moi" link.
    pub report_token_hash: Option<String>,
    /// Delegated session: the structure it is bound to, and the tablet.
    pub structure_id: Option<Uuid>,
    pub terminal_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
