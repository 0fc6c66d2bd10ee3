//! A professional's passkey ceremonies: registration (with an enrolment token, which also
//! activates this browser as an approver phone) and sign-in (user verification required,
//! signature counters persisted). The keys are rows of the one credential model.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use vigie_shared::{
    ErrorCode, NationalId,
    api::passkey::{
        AuthenticationChallenge, AuthenticationFinish, RegisteredPasskey, RegistrationChallenge,
        RegistrationFinish,
    },
};
use webauthn_rs::prelude::{Passkey, PasskeyAuthentication, PasskeyRegistration};

use super::{Holder, Owner, OwnerKind, label_of, passkeys_of, registration_challenge, rejected};
use crate::{
    auth::{
        ceremony::{self, Kind, Stored},
        decoy, enrolment,
        session::{self, ClientInfo, Opened, SignedIn},
        sign_in,
    },
    entities::{approver_device, professional},
    error::{AppError, AppResult},
    state::AppState,
    work::{Actor, DomainEvent, Work},
};

pub async fn start_registration(state: &AppState, token: &str) -> AppResult<RegistrationChallenge> {
    let now = state.now();
    let (enrolment, professional) = enrolment::check(&state.db, now, token).await?;
    let existing = passkeys_of(&state.db, OwnerKind::Professional, &[professional.id]).await?;
    registration_challenge(
        state,
        Holder {
            id: professional.id,
            user_name: &professional.national_id,
            display_name: &session::display_name(&professional),
        },
        existing.into_iter().map(|(_, pk)| pk),
        Stored {
            professional_id: Some(professional.id),
            enrolment_id: Some(enrolment.id),
            approval_id: None,
            staff_member_id: None,
            state: None::<()>,
        },
    )
    .await
}

pub async fn finish_registration(
    state: &AppState,
    finish: RegistrationFinish,
) -> AppResult<(RegisteredPasskey, String)> {
    let now = state.now();
    let label = label_of(finish.label)?;
    let stored: Stored<PasskeyRegistration> =
        ceremony::take(&state.db, now, Kind::Registration, finish.ceremony_id).await?;
    let (Some(registration), Some(professional_id), Some(enrolment_id)) =
        (stored.state, stored.professional_id, stored.enrolment_id)
    else {
        return Err(ErrorCode::CeremonyExpired.into());
    };
    let pk = state
        .webauthn
        .finish_passkey_registration(&finish.credential, &registration)
        .map_err(rejected)?;
    let mut work = Work::begin(state, Actor::by(professional_id)).await?;
    let txn = work.db();
    if !enrolment::consume(txn, now, enrolment_id).await? {
        return Err(ErrorCode::EnrolmentInvalid.into());
    }
    let owner = Owner::professional(professional_id);
    let row = super::insert(txn, work.now(), owner, &pk, &label).await?;
    let passkey_id = row.id;
    let approver_token =
        crate::approvals::approver::create(txn, now, professional_id, &label).await?;
    // The phone created with it: the mail's "Ce n'est pas moi" revokes both.
    let device = approver_device::Entity::find()
        .filter(approver_device::Column::TokenHash.eq(crate::auth::tokens::hash(&approver_token)))
        .one(txn)
        .await?
        .map(|d| d.id);
    work.emit(DomainEvent::PasskeyRegistered {
        passkey: passkey_id,
    });
    super::report::announce(&mut work, owner, Some(passkey_id), device, &label).await?;
    work.commit().await?;
    tracing::info!(%professional_id, %passkey_id, "passkey registered");
    Ok((RegisteredPasskey { passkey_id, label }, approver_token))
}

pub async fn start_authentication(
    state: &AppState,
    national_id: &NationalId,
) -> AppResult<AuthenticationChallenge> {
    let now = state.now();
    let professional = professional::Entity::find()
        .filter(professional::Column::NationalId.eq(national_id.as_str()))
        .one(&state.db)
        .await?;
    let keys = match &professional {
        Some(p) => passkeys_of(&state.db, OwnerKind::Professional, &[p.id]).await?,
        None => Vec::new(),
    };
    let (options, stored) = match professional {
        Some(p) if !keys.is_empty() => {
            let creds: Vec<Passkey> = keys.into_iter().map(|(_, pk)| pk).collect();
            let (mut options, auth) = state
                .webauthn
                .start_passkey_authentication(&creds)
                .map_err(rejected)?;
            decoy::pad(&state.decoy_key, national_id.as_str(), &mut options);
            (
                options,
                Stored {
                    professional_id: Some(p.id),
                    enrolment_id: None,
                    approval_id: None,
                    staff_member_id: None,
                    state: Some(auth),
                },
            )
        }
        // Unknown identifier, or no passkey yet: the same shape of answer, which can never succeed.
        _ => {
            let rp_id = state.settings.public_url.host_str().unwrap_or_default();
            let options = decoy::challenge(&state.decoy_key, rp_id, national_id.as_str());
            (
                options,
                Stored {
                    professional_id: None,
                    enrolment_id: None,
                    approval_id: None,
                    staff_member_id: None,
                    state: None,
                },
            )
        }
    };
    let ceremony_id = ceremony::put(&state.db, now, Kind::Authentication, stored).await?;
    Ok(AuthenticationChallenge {
        ceremony_id,
        options,
    })
}

pub async fn finish_authentication(
    state: &AppState,
    finish: AuthenticationFinish,
    client: ClientInfo,
) -> AppResult<(String, SignedIn)> {
    let now = state.now();
    let stored: Stored<PasskeyAuthentication> =
        ceremony::take(&state.db, now, Kind::Authentication, finish.ceremony_id).await?;
    let (Some(auth), Some(professional_id)) = (stored.state, stored.professional_id) else {
        return Err(ErrorCode::WebauthnRejected.into());
    };
    let mut work = Work::begin(state, Actor::by(professional_id)).await?;
    let txn = work.db();
    let key = super::verify_assertion(
        state,
        txn,
        now,
        OwnerKind::Professional,
        &[professional_id],
        &finish.credential,
        &auth,
    )
    .await?;
    let terminal = client
        .user_agent
        .as_deref()
        .map(describe_agent)
        .unwrap_or_else(|| "Poste inconnu".into());
    let opened = session::open(
        txn,
        &state.settings,
        now,
        professional_id,
        "passkey",
        client,
    )
    .await?;
    super::opened_with(txn, opened.session.id, key.id).await?;
    let professional = professional::Entity::find_by_id(professional_id)
        .one(txn)
        .await?
        .ok_or(AppError::code(ErrorCode::WebauthnRejected))?;
    let ctx = sign_in::Context {
        method: "passkey",
        terminal: &terminal,
        terminal_id: None,
        delegate: None,
        place: "—",
    };
    sign_in::opened(state, &mut work, &professional, &opened.session, ctx).await?;
    work.commit().await?;
    tracing::info!(%professional_id, session = %opened.session.id, "signed in with a passkey");
    let Opened { token, session } = opened;
    Ok((
        token,
        SignedIn {
            session,
            professional,
        },
    ))
}

/// "Ordinateur (Chrome)" from a User-Agent header.
fn describe_agent(ua: &str) -> String {
    let mut headers = axum::http::HeaderMap::new();
    if let Ok(v) = axum::http::HeaderValue::from_str(ua) {
        headers.insert(axum::http::header::USER_AGENT, v);
    }
    crate::http::agent::describe(&headers)
}
