//! One credential model for every principal. A professional's and a staff member's passkeys
//! are rows of `credential` (owner kind and id); a professional's activated phones stay rows
//! of `approver_device` but are listed and revoked here too. Both sign-in flows
//! (`professional`, `staff`) register and check their keys through this module.
//!
//! A revoked credential keeps its row (`revoked_at`) and never signs in or approves again;
//! a revoked phone stops seeing requests and its live streams end. Every addition is mailed
//! with a single-use "Ce n'est pas moi" link (`report`).

pub mod manage;
pub mod professional;
pub mod report;
pub mod staff;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter,
};
use uuid::Uuid;
use vigie_shared::{ErrorCode, api::passkey::RegistrationChallenge};
use webauthn_rs::prelude::{Passkey, PasskeyAuthentication, PublicKeyCredential, WebauthnError};

pub use vigie_shared::api::credentials::{CredentialKind, OwnerKind};

use crate::{
    auth::ceremony::{self, Kind, Stored},
    entities::{credential, session_credential},
    error::{AppError, AppResult},
    state::AppState,
};

/// Who holds a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub kind: OwnerKind,
    pub id: Uuid,
}

impl Owner {
    pub fn professional(id: Uuid) -> Self {
        Self {
            kind: OwnerKind::Professional,
            id,
        }
    }
    pub fn staff(id: Uuid) -> Self {
        Self {
            kind: OwnerKind::Staff,
            id,
        }
    }
}

pub(crate) fn rejected(e: WebauthnError) -> AppError {
    // The reason helps operators; the user gets the stable code only.
    tracing::warn!(reason = %e, "webauthn ceremony rejected");
    AppError::code(ErrorCode::WebauthnRejected)
}

/// The live (not revoked) passkeys of these owners of one kind.
pub async fn passkeys_of(
    db: &impl ConnectionTrait,
    kind: OwnerKind,
    owner_ids: &[Uuid],
) -> AppResult<Vec<(credential::Model, Passkey)>> {
    credential::Entity::find()
        .filter(credential::Column::OwnerKind.eq(kind))
        .filter(credential::Column::OwnerId.is_in(owner_ids.iter().copied()))
        .filter(credential::Column::RevokedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let pk: Passkey = serde_json::from_str(&row.passkey).map_err(AppError::internal)?;
            Ok((row, pk))
        })
        .collect()
}

/// Who a new passkey is for, as the authenticator will show it.
pub struct Holder<'a> {
    pub id: Uuid,
    pub user_name: &'a str,
    pub display_name: &'a str,
}

/// Starts a registration ceremony, excluding the holder's existing keys; `owner` says whose
/// ceremony it is (its `state` is filled here).
pub async fn registration_challenge(
    state: &AppState,
    holder: Holder<'_>,
    existing: impl Iterator<Item = Passkey>,
    owner: Stored<()>,
) -> AppResult<RegistrationChallenge> {
    let exclude = existing.map(|pk| pk.cred_id().clone()).collect();
    let (options, registration) = state
        .webauthn
        .start_passkey_registration(
            holder.id,
            holder.user_name,
            holder.display_name,
            Some(exclude),
        )
        .map_err(rejected)?;
    let ceremony_id = ceremony::put(
        &state.db,
        state.now(),
        Kind::Registration,
        Stored {
            professional_id: owner.professional_id,
            enrolment_id: owner.enrolment_id,
            approval_id: owner.approval_id,
            staff_member_id: owner.staff_member_id,
            state: Some(registration),
        },
    )
    .await?;
    Ok(RegistrationChallenge {
        ceremony_id,
        options,
    })
}

/// The name a user gave a new key, or a default. It is shown back to them, on the phone and in
/// mails: a hidden character (control, zero-width, bidirectional override) is refused, as in
/// a terminal's name (the same check), rather than stripped — what would be stored would not
/// be what was typed. Checked before the ceremony is taken: refused, nothing is spent.
pub fn label_of(given: Option<String>) -> AppResult<String> {
    if given
        .as_deref()
        .is_some_and(vigie_shared::text::has_hidden_characters)
    {
        return Err(AppError::with_message(
            ErrorCode::InvalidInput,
            "Nom de l'appareil : caractère invisible ou de contrôle refusé.",
        ));
    }
    Ok(given
        .map(|l| l.trim().chars().take(60).collect::<String>())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "Clé d'accès".into()))
}

/// Stores a newly registered passkey of `owner`, in the caller's transaction.
pub async fn insert(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    owner: Owner,
    pk: &Passkey,
    label: &str,
) -> AppResult<credential::Model> {
    Ok(credential::ActiveModel {
        id: Set(Uuid::new_v4()),
        owner_kind: Set(owner.kind),
        owner_id: Set(owner.id),
        credential_id: Set(URL_SAFE_NO_PAD.encode(pk.cred_id())),
        passkey: Set(serde_json::to_string(pk).map_err(AppError::internal)?),
        label: Set(label.to_owned()),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(txn)
    .await?)
}

/// Checks an assertion against the ceremony state (user verification required): the key must
/// be a live one of one of `owner_ids` (of `kind`). Records the new signature counter and the
/// use in the caller's transaction (a cloned authenticator shows up as a counter regression,
/// which webauthn-rs refuses). A key revoked since the ceremony started is refused here.
pub async fn verify_assertion(
    state: &AppState,
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    kind: OwnerKind,
    owner_ids: &[Uuid],
    credential: &PublicKeyCredential,
    auth: &PasskeyAuthentication,
) -> AppResult<credential::Model> {
    let result = state
        .webauthn
        .finish_passkey_authentication(credential, auth)
        .map_err(rejected)?;
    if !result.user_verified() {
        return Err(ErrorCode::WebauthnRejected.into());
    }
    let row = credential::Entity::find()
        .filter(credential::Column::CredentialId.eq(URL_SAFE_NO_PAD.encode(result.cred_id())))
        .filter(credential::Column::OwnerKind.eq(kind))
        .filter(credential::Column::OwnerId.is_in(owner_ids.iter().copied()))
        .filter(credential::Column::RevokedAt.is_null())
        .one(txn)
        .await?
        .ok_or(AppError::code(ErrorCode::WebauthnRejected))?;
    let mut pk: Passkey = serde_json::from_str(&row.passkey).map_err(AppError::internal)?;
    pk.update_credential(&result);
    let mut active = row.into_active_model();
    active.passkey = Set(serde_json::to_string(&pk).map_err(AppError::internal)?);
    active.last_used_at = Set(Some(now));
    Ok(active.update(txn).await?)
}

/// Remembers which passkey opened a session ("Mes appareils" marks it).
pub async fn opened_with(
    txn: &DatabaseTransaction,
    session_id: Uuid,
    credential_id: Uuid,
) -> AppResult<()> {
    session_credential::Entity::insert(session_credential::ActiveModel {
        session_id: Set(session_id),
        credential_id: Set(credential_id),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
