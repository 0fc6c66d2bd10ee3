//! Structure password accounts: password, then the SMS code, then (when due) a new password.

use axum::{Json, extract::State, http::header, response::IntoResponse};
use vigie_shared::{
    ApiError, ErrorCode,
    api::{
        account::{AccountProfile, AccountSignIn, PasswordChange, PasswordPolicy, SecondFactor},
        session::SessionState,
    },
};

use crate::{
    accounts,
    auth::session::{self, AnyStage, Authenticated, Client, Principal},
    error::AppResult,
    http::json::ApiJson,
    state::AppState,
};

/// Identifier (FINESS or Assurance Maladie number) and password. On success the session is
/// open but only for the second factor: a code is sent by SMS to the account's mobile.
#[utoipa::path(post, path = "/api/accounts/sign-in", tag = "comptes de structure",
    request_body = AccountSignIn,
    responses(
        (status = 200, description = "Mot de passe accepté ; code envoyé par SMS ; cookie posé", body = SessionState),
        (status = 401, description = "Identifiant ou mot de passe incorrect, ou compte bloqué (même réponse)", body = ApiError),
        (status = 429, description = "Trop de tentatives depuis cette adresse, trop de codes SMS envoyés pour ce compte, ou service très sollicité (`rate_limited`)", body = ApiError),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<AccountSignIn>,
) -> AppResult<impl IntoResponse> {
    let (token, session_state) =
        accounts::sign_in(&state, &body.identifier, &body.password, client).await?;
    let cookie = session::cookie_for(&state.settings, &token);
    Ok(([(header::SET_COOKIE, cookie)], Json(session_state)))
}

/// The code received by SMS. On success the session gets a new id (new cookie).
#[utoipa::path(post, path = "/api/accounts/second-factor", tag = "comptes de structure",
    request_body = SecondFactor,
    responses(
        (status = 200, description = "Connecté (ou mot de passe à remplacer) ; nouveau cookie", body = SessionState),
        (status = 400, description = "Code erroné", body = ApiError),
        (status = 401, description = "Code expiré ou trop d'essais : session fermée", body = ApiError),
        (status = 403, description = "Pas une session de compte de structure (`forbidden`)", body = ApiError),
        (status = 409, description = "Code déjà saisi pour cette session (`conflict`)", body = ApiError),
    ))]
pub async fn second_factor(
    State(state): State<AppState>,
    AnyStage(current): AnyStage,
    ApiJson(body): ApiJson<SecondFactor>,
) -> AppResult<impl IntoResponse> {
    let (token, session_state) = accounts::second_factor(&state, current, &body.code).await?;
    let cookie = session::cookie_for(&state.settings, &token);
    Ok(([(header::SET_COOKIE, cookie)], Json(session_state)))
}

/// Replaces the password (required when it expired or was set by an operator).
#[utoipa::path(post, path = "/api/accounts/password", tag = "comptes de structure",
    request_body = PasswordChange,
    responses(
        (status = 200, body = SessionState),
        (status = 400, description = "Mot de passe trop faible, déjà utilisé, ou mot de passe actuel incorrect", body = ApiError),
        (status = 403, description = "Code SMS pas encore saisi (`second_factor_required`), ou pas un compte de structure (`forbidden`)", body = ApiError),
        (status = 429, description = "Service très sollicité (`rate_limited`)", body = ApiError),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    AnyStage(current): AnyStage,
    ApiJson(body): ApiJson<PasswordChange>,
) -> AppResult<Json<SessionState>> {
    Ok(Json(
        accounts::change_password(&state, current, &body.current_password, &body.new_password)
            .await?,
    ))
}

/// The password rules, shown beside the form.
#[utoipa::path(get, path = "/api/accounts/password-policy", tag = "comptes de structure",
    responses((status = 200, body = PasswordPolicy)))]
pub async fn password_policy(State(state): State<AppState>) -> Json<PasswordPolicy> {
    Json(accounts::policy(&state.settings))
}

/// The structure account signed in on this device.
#[utoipa::path(get, path = "/api/accounts/me", tag = "comptes de structure",
    responses(
        (status = 200, body = AccountProfile),
        (status = 401, body = ApiError),
        (status = 403, description = "Pas un compte de structure, ou connexion inachevée", body = ApiError),
    ))]
pub async fn me(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
) -> AppResult<Json<AccountProfile>> {
    let Principal::Account { account, structure } = current.principal else {
        return Err(ErrorCode::Forbidden.into());
    };
    Ok(Json(AccountProfile {
        password_expires_at: accounts::password_expires_at(&state.settings, &account),
        structure_id: structure.id,
        identifier: account.identifier,
        display_name: account.display_name,
        structure_name: structure.name,
        structure_finess: structure.finess,
        structure_address: structure.address,
    }))
}
