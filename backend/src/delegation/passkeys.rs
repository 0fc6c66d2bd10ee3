//! Staff passkeys: created from the manager's one-time link, then the only way a delegate
//! signs in (no push, no password). User verification is required, counters persisted.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    sea_query::Expr,
};
use uuid::Uuid;
use vigie_shared::{
    CpeNumber, ErrorCode,
    api::passkey::{
        AuthenticationChallenge, AuthenticationFinish, RegisteredPasskey, RegistrationChallenge,
        RegistrationFinish,
    },
};
use webauthn_rs::prelude::{Passkey, PasskeyAuthentication, PasskeyRegistration};

use crate::work::{Actor, DomainEvent, Work};
use crate::{
    auth::{
        ceremony::{self, Kind, Stored},
        decoy, passkeys as auth_passkeys,
        session::{self, ClientInfo, Owner},
        tokens,
    },
    entities::{staff_member, staff_passkey},
    error::{AppError, AppResult},
    state::AppState,
};
use vigie_shared::api::session::SessionStage;

fn rejected(e: impl std::fmt::Display) -> AppError {
    tracing::warn!(reason = %e, "staff webauthn ceremony rejected");
    AppError::code(ErrorCode::WebauthnRejected)
}

async fn keys_of(
    state: &AppState,
    staff_ids: &[Uuid],
) -> AppResult<Vec<(staff_passkey::Model, Passkey)>> {
    staff_passkey::Entity::find()
        .filter(staff_passkey::Column::StaffMemberId.is_in(staff_ids.iter().copied()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|row| {
            let pk: Passkey = serde_json::from_str(&row.credential).map_err(AppError::internal)?;
            Ok((row, pk))
        })
        .collect()
}

/// The staff member a live, unused link belongs to.
async fn by_link(state: &AppState, token: &str) -> AppResult<staff_member::Model> {
    staff_member::Entity::find()
        .filter(staff_member::Column::EnrolmentTokenHash.eq(tokens::hash(token)))
        .one(&state.db)
        .await?
        .filter(|s| {
            s.withdrawn_at.is_none() && s.enrolment_expires_at.is_some_and(|t| t > state.now())
        })
        .ok_or(AppError::code(ErrorCode::EnrolmentInvalid))
}

pub async fn start_registration(state: &AppState, token: &str) -> AppResult<RegistrationChallenge> {
    let staff = by_link(state, token).await?;
    let existing = keys_of(state, &[staff.id]).await?;
    auth_passkeys::registration_challenge(
        state,
        auth_passkeys::Holder {
            id: staff.id,
            user_name: &staff.cpe_number,
            display_name: &session::staff_name(&staff),
        },
        existing.into_iter().map(|(_, pk)| pk),
        Stored {
            professional_id: None,
            enrolment_id: None,
            approval_id: None,
            staff_member_id: Some(staff.id),
            state: None::<()>,
        },
    )
    .await
}

pub async fn finish_registration(
    state: &AppState,
    finish: RegistrationFinish,
) -> AppResult<RegisteredPasskey> {
    let now = state.now();
    let label = auth_passkeys::label_of(finish.label)?;
    let stored: Stored<PasskeyRegistration> =
        ceremony::take(&state.db, now, Kind::Registration, finish.ceremony_id).await?;
    let (Some(registration), Some(staff_id)) = (stored.state, stored.staff_member_id) else {
        return Err(ErrorCode::CeremonyExpired.into());
    };
    let pk = state
        .webauthn
        .finish_passkey_registration(&finish.credential, &registration)
        .map_err(rejected)?;
    let passkey_id = Uuid::new_v4();
    let mut work = Work::begin(state, Actor::by(staff_id)).await?;
    let txn = work.db();
    // The link is used up here, once: a second finish (or a withdrawn member) finds nothing.
    let used = staff_member::Entity::update_many()
        .col_expr(
            staff_member::Column::EnrolmentTokenHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            staff_member::Column::EnrolmentExpiresAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .filter(staff_member::Column::Id.eq(staff_id))
        .filter(staff_member::Column::EnrolmentTokenHash.is_not_null())
        .filter(staff_member::Column::EnrolmentExpiresAt.gt(now))
        .filter(staff_member::Column::WithdrawnAt.is_null())
        .exec(txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(ErrorCode::EnrolmentInvalid.into());
    }
    staff_passkey::ActiveModel {
        id: Set(passkey_id),
        staff_member_id: Set(staff_id),
        credential_id: Set(URL_SAFE_NO_PAD.encode(pk.cred_id())),
        credential: Set(serde_json::to_string(&pk).map_err(AppError::internal)?),
        label: Set(label.clone()),
        created_at: Set(now),
        last_used_at: Set(None),
    }
    .insert(txn)
    .await?;
    work.emit(DomainEvent::StaffPasskeyRegistered {
        passkey: passkey_id,
    });
    work.commit().await?;
    Ok(RegisteredPasskey { passkey_id, label })
}

/// Declared, not withdrawn staff rows with this CPE number (one a structure).
async fn active_rows(state: &AppState, cpe: &CpeNumber) -> AppResult<Vec<staff_member::Model>> {
    Ok(staff_member::Entity::find()
        .filter(staff_member::Column::CpeNumber.eq(cpe.as_str()))
        .filter(staff_member::Column::WithdrawnAt.is_null())
        .all(&state.db)
        .await?)
}

pub async fn start_authentication(
    state: &AppState,
    cpe: &CpeNumber,
) -> AppResult<AuthenticationChallenge> {
    let now = state.now();
    let rows = active_rows(state, cpe).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let keys = keys_of(state, &ids).await?;
    let (options, stored) = if keys.is_empty() {
        // Unknown or not enrolled: the same shape of answer, which can never succeed.
        let rp_id = state.settings.public_url.host_str().unwrap_or_default();
        (
            decoy::challenge(&state.decoy_key, rp_id, cpe.as_str()),
            None,
        )
    } else {
        let creds: Vec<Passkey> = keys.into_iter().map(|(_, pk)| pk).collect();
        let (mut options, auth) = state
            .webauthn
            .start_passkey_authentication(&creds)
            .map_err(rejected)?;
        decoy::pad(&state.decoy_key, cpe.as_str(), &mut options);
        (options, Some(auth))
    };
    let ceremony_id = ceremony::put(
        &state.db,
        now,
        Kind::Authentication,
        Stored {
            professional_id: None,
            enrolment_id: None,
            approval_id: None,
            staff_member_id: ids.first().copied().filter(|_| stored.is_some()),
            state: stored,
        },
    )
    .await?;
    Ok(AuthenticationChallenge {
        ceremony_id,
        options,
    })
}

/// Signs the staff member in: a session bound to the structure of the passkey's owner, that
/// can do nothing but ask a professional for a delegated session.
pub async fn finish_authentication(
    state: &AppState,
    finish: AuthenticationFinish,
    client: ClientInfo,
) -> AppResult<(String, session::Current)> {
    let now = state.now();
    let stored: Stored<PasskeyAuthentication> =
        ceremony::take(&state.db, now, Kind::Authentication, finish.ceremony_id).await?;
    let (Some(auth), Some(first_id)) = (stored.state, stored.staff_member_id) else {
        return Err(ErrorCode::WebauthnRejected.into());
    };
    let result = state
        .webauthn
        .finish_passkey_authentication(&finish.credential, &auth)
        .map_err(rejected)?;
    if !result.user_verified() {
        return Err(ErrorCode::WebauthnRejected.into());
    }
    let mut work = Work::begin(state, Actor::anonymous()).await?;
    let txn = work.db();
    let key = staff_passkey::Entity::find()
        .filter(staff_passkey::Column::CredentialId.eq(URL_SAFE_NO_PAD.encode(result.cred_id())))
        .one(txn)
        .await?
        .ok_or(AppError::code(ErrorCode::WebauthnRejected))?;
    let first = staff_member::Entity::find_by_id(first_id).one(txn).await?;
    let staff = staff_member::Entity::find_by_id(key.staff_member_id)
        .one(txn)
        .await?
        // The key must belong to a live row of the CPE number the ceremony was started for.
        .filter(|s| {
            s.withdrawn_at.is_none() && first.as_ref().is_some_and(|f| f.cpe_number == s.cpe_number)
        })
        .ok_or(AppError::code(ErrorCode::WebauthnRejected))?;
    let mut pk: Passkey = serde_json::from_str(&key.credential).map_err(AppError::internal)?;
    pk.update_credential(&result);
    let mut active = key.into_active_model();
    active.credential = Set(serde_json::to_string(&pk).map_err(AppError::internal)?);
    active.last_used_at = Set(Some(now));
    active.update(txn).await?;
    let opened = session::open_for(
        txn,
        &state.settings,
        now,
        Owner::Staff {
            staff_member_id: staff.id,
            structure_id: staff.structure_id,
        },
        SessionStage::Active,
        "passkey",
        client,
    )
    .await?;
    work.emit(DomainEvent::DelegateSignedIn {
        staff: staff.id,
        session: opened.session.id,
    });
    work.commit().await?;
    let structure = crate::entities::structure::Entity::find_by_id(staff.structure_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("staff member without structure"))?;
    Ok((
        opened.token,
        session::Current {
            session: opened.session,
            principal: session::Principal::Delegate {
                staff,
                structure,
                authority: None,
            },
        },
    ))
}
