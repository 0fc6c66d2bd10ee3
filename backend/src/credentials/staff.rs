//! A staff member's passkey ceremonies: created from the manager's one-time link, then the
//! only way a delegate signs in (no push, no password). User verification is required,
//! counters persisted. The keys are rows of the one credential model.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;
use vigie_shared::{
    CpeNumber, ErrorCode,
    api::passkey::{
        AuthenticationChallenge, AuthenticationFinish, RegisteredPasskey, RegistrationChallenge,
        RegistrationFinish,
    },
};
use webauthn_rs::prelude::{Passkey, PasskeyAuthentication, PasskeyRegistration};

use super::{Holder, Owner, OwnerKind, label_of, passkeys_of, registration_challenge, rejected};
use crate::work::{Actor, DomainEvent, Work};
use crate::{
    auth::{
        ceremony::{self, Kind, Stored},
        decoy,
        session::{self, ClientInfo, Owner as SessionOwner},
        tokens,
    },
    entities::staff_member,
    error::{AppError, AppResult},
    state::AppState,
};
use vigie_shared::api::session::SessionStage;

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
    let existing = passkeys_of(&state.db, OwnerKind::Staff, &[staff.id]).await?;
    registration_challenge(
        state,
        Holder {
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
    let label = label_of(finish.label)?;
    let stored: Stored<PasskeyRegistration> =
        ceremony::take(&state.db, now, Kind::Registration, finish.ceremony_id).await?;
    let (Some(registration), Some(staff_id)) = (stored.state, stored.staff_member_id) else {
        return Err(ErrorCode::CeremonyExpired.into());
    };
    let pk = state
        .webauthn
        .finish_passkey_registration(&finish.credential, &registration)
        .map_err(rejected)?;
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
    let owner = Owner::staff(staff_id);
    let passkey_id = super::insert(txn, now, owner, &pk, &label).await?.id;
    work.emit(DomainEvent::StaffPasskeyRegistered {
        passkey: passkey_id,
    });
    super::report::announce(&mut work, owner, Some(passkey_id), None, &label).await?;
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
    let keys = passkeys_of(&state.db, OwnerKind::Staff, &ids).await?;
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
    let mut work = Work::begin(state, Actor::anonymous()).await?;
    let txn = work.db();
    // The key must belong to a live row of the CPE number the ceremony was started for.
    let Some(first) = staff_member::Entity::find_by_id(first_id).one(txn).await? else {
        return Err(ErrorCode::WebauthnRejected.into());
    };
    let rows = staff_member::Entity::find()
        .filter(staff_member::Column::CpeNumber.eq(first.cpe_number.clone()))
        .filter(staff_member::Column::WithdrawnAt.is_null())
        .all(txn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let key = super::verify_assertion(
        state,
        txn,
        now,
        OwnerKind::Staff,
        &ids,
        &finish.credential,
        &auth,
    )
    .await?;
    let staff = rows
        .into_iter()
        .find(|s| s.id == key.owner_id)
        .ok_or(AppError::code(ErrorCode::WebauthnRejected))?;
    let opened = session::open_for(
        txn,
        &state.settings,
        now,
        SessionOwner::Staff {
            staff_member_id: staff.id,
            structure_id: staff.structure_id,
        },
        SessionStage::Active,
        "passkey",
        client,
    )
    .await?;
    super::opened_with(txn, opened.session.id, key.id).await?;
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
