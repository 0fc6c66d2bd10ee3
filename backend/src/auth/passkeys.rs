//! Passkey ceremonies: registration (with an enrolment token) and sign-in (user verification
//! required, signature counters persisted).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode, NationalId,
    api::passkey::{
        AuthenticationChallenge, AuthenticationFinish, RegisteredPasskey, RegistrationChallenge,
        RegistrationFinish,
    },
};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, WebauthnError,
};

use super::{
    ceremony::{self, Kind, Stored},
    decoy, enrolment,
    session::{self, ClientInfo, Opened, SignedIn},
    sign_in,
};
use crate::{
    entities::{passkey, professional},
    error::{AppError, AppResult},
    state::AppState,
    work::{Actor, DomainEvent, Work},
};

fn rejected(e: WebauthnError) -> AppError {
    // The reason helps operators; the user gets the stable code only.
    tracing::warn!(reason = %e, "webauthn ceremony rejected");
    AppError::code(ErrorCode::WebauthnRejected)
}

pub async fn passkeys_of(
    state: &AppState,
    professional_id: Uuid,
) -> AppResult<Vec<(passkey::Model, Passkey)>> {
    let rows = passkey::Entity::find()
        .filter(passkey::Column::ProfessionalId.eq(professional_id))
        .all(&state.db)
        .await?;
    rows.into_iter()
        .map(|row| {
            let pk: Passkey = serde_json::from_str(&row.credential).map_err(AppError::internal)?;
            Ok((row, pk))
        })
        .collect()
}

pub async fn start_registration(state: &AppState, token: &str) -> AppResult<RegistrationChallenge> {
    let now = state.now();
    let (enrolment, professional) = enrolment::check(&state.db, now, token).await?;
    let existing = passkeys_of(state, professional.id).await?;
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
    let passkey_id = Uuid::new_v4();
    let mut work = Work::begin(state, Actor::by(professional_id)).await?;
    let txn = work.db();
    if !enrolment::consume(txn, now, enrolment_id).await? {
        return Err(ErrorCode::EnrolmentInvalid.into());
    }
    passkey::ActiveModel {
        id: Set(passkey_id),
        professional_id: Set(professional_id),
        credential_id: Set(URL_SAFE_NO_PAD.encode(pk.cred_id())),
        credential: Set(serde_json::to_string(&pk).map_err(AppError::internal)?),
        label: Set(label.clone()),
        created_at: Set(now),
        last_used_at: Set(None),
    }
    .insert(txn)
    .await?;
    let approver_token =
        crate::approvals::approver::create(txn, now, professional_id, &label).await?;
    work.emit(DomainEvent::PasskeyRegistered {
        passkey: passkey_id,
    });
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
        Some(p) => passkeys_of(state, p.id).await?,
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

/// Checks an assertion against the ceremony state (user verification required) and records
/// the new signature counter in the caller's transaction (a cloned authenticator shows up as
/// a counter regression, which webauthn-rs refuses).
pub async fn verify_assertion(
    state: &AppState,
    txn: &DatabaseTransaction,
    now: chrono::DateTime<chrono::Utc>,
    professional_id: Uuid,
    credential: &PublicKeyCredential,
    auth: &PasskeyAuthentication,
) -> AppResult<()> {
    let result = state
        .webauthn
        .finish_passkey_authentication(credential, auth)
        .map_err(rejected)?;
    if !result.user_verified() {
        return Err(ErrorCode::WebauthnRejected.into());
    }
    let row = passkey::Entity::find()
        .filter(passkey::Column::CredentialId.eq(URL_SAFE_NO_PAD.encode(result.cred_id())))
        .filter(passkey::Column::ProfessionalId.eq(professional_id))
        .one(txn)
        .await?
        .ok_or(AppError::code(ErrorCode::WebauthnRejected))?;
    let mut pk: Passkey = serde_json::from_str(&row.credential).map_err(AppError::internal)?;
    pk.update_credential(&result);
    let mut active = row.into_active_model();
    active.credential = Set(serde_json::to_string(&pk).map_err(AppError::internal)?);
    active.last_used_at = Set(Some(now));
    active.update(txn).await?;
    Ok(())
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
    verify_assertion(state, txn, now, professional_id, &finish.credential, &auth).await?;
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
