//! Incidents for the security officers: opened by a fraud report, closed with a note.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{entities::incident, error::AppResult};

pub async fn open(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    professional_id: Uuid,
    approval_id: Option<Uuid>,
    kind: &str,
) -> AppResult<Uuid> {
    let id = Uuid::new_v4();
    incident::Entity::insert(incident::ActiveModel {
        id: Set(id),
        professional_id: Set(professional_id),
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
