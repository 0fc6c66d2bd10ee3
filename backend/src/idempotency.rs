//! Idempotent creates: the client sends a key it generated; the first answer is stored with
//! the write, in the same transaction, and a retry with the same key gets that answer again
//! instead of a second write. The same key with a different request is refused.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use vigie_shared::ErrorCode;

use crate::{
    entities::idempotent_write,
    error::{AppError, AppResult},
};

/// The fingerprint of a request, to tell a true retry from a reused key.
pub fn fingerprint<T: Serialize>(request: &T) -> AppResult<String> {
    let bytes = serde_json::to_vec(request).map_err(AppError::internal)?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

/// The stored answer for this key, if the write already happened.
pub async fn replay<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    key: &str,
    principal: &str,
    fingerprint: &str,
) -> AppResult<Option<T>> {
    let Some(row) = idempotent_write::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.principal_id != principal || row.request_hash != fingerprint {
        return Err(ErrorCode::IdempotencyKeyReused.into());
    }
    serde_json::from_str(&row.body)
        .map(Some)
        .map_err(AppError::internal)
}

/// Stores the answer inside the write's transaction. A concurrent retry that got here first
/// makes this insert fail, which rolls the duplicate write back.
pub async fn store<T: Serialize>(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    key: &str,
    principal: &str,
    fingerprint: &str,
    answer: &T,
) -> AppResult<()> {
    idempotent_write::Entity::insert(idempotent_write::ActiveModel {
        key: Set(key.to_owned()),
        principal_id: Set(principal.to_owned()),
        request_hash: Set(fingerprint.to_owned()),
        status: Set(200),
        body: Set(serde_json::to_string(answer).map_err(AppError::internal)?),
        created_at: Set(now),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
