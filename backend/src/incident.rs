//! Incidents for the security officers: opened by a fraud report, closed with a note.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{entities::incident, error::AppResult};

/// Whom an incident concerns.
#[derive(Debug, Clone, Copy)]
pub enum Concerning {
    Professional(Uuid),
    /// A structure's password account.
    Account(Uuid),
}

pub async fn open(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    concerning: Concerning,
    approval_id: Option<Uuid>,
    kind: &str,
) -> AppResult<Uuid> {
    let id = Uuid::new_v4();
    let (professional_id, account_id) = match concerning {
        Concerning::Professional(p) => (Some(p), None),
        Concerning::Account(a) => (None, Some(a)),
    };
    incident::Entity::insert(incident::ActiveModel {
        id: Set(id),
        professional_id: Set(professional_id),
        account_id: Set(account_id),
        approval_id: Set(approval_id),
        kind: Set(kind.to_owned()),
        opened_at: Set(now),
        status: Set("open".into()),
        closed_at: Set(None),
        closed_by: Set(None),
        note: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}
