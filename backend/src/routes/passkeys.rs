use axum::{Json, extract::State, http::header, response::IntoResponse};
use vigie_shared::{
    ApiError,
    api::{
        passkey::{
            AuthenticationChallenge, AuthenticationFinish, AuthenticationStart, RegisteredPasskey,
            RegistrationChallenge, RegistrationFinish, RegistrationStart,
        },
        session::SessionState,
    },
};

use crate::{
    auth::session::{self, Client},
    credentials::professional as passkeys,
    error::AppResult,
    http::json::ApiJson,
    state::AppState,
};

/// Start creating a passkey with a one-time enrolment token.
#[utoipa::path(post, path = "/api/passkeys/registration/start", tag = "clés d'accès",
    request_body = RegistrationStart,
    responses(
        (status = 200, body = RegistrationChallenge),
        (status = 400, description = "Jeton d'activation invalide ou expiré", body = ApiError),
    ))]
pub async fn registration_start(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegistrationStart>,
) -> AppResult<Json<RegistrationChallenge>> {
    Ok(Json(
        passkeys::start_registration(&state, &body.enrolment_token).await?,
    ))
}

/// Finish creating a passkey: the authenticator's answer is verified and the passkey stored.
#[utoipa::path(post, path = "/api/passkeys/registration/finish", tag = "clés d'accès",
    request_body = RegistrationFinish,
    responses(
        (status = 200, body = RegisteredPasskey),
        (status = 400, description = "Cérémonie expirée ou réponse refusée", body = ApiError),
    ))]
pub async fn registration_finish(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegistrationFinish>,
) -> AppResult<impl IntoResponse> {
    let (registered, approver_token) = passkeys::finish_registration(&state, body).await?;
    let cookie = crate::approvals::approver::cookie_for(&state.settings, &approver_token);
    Ok(([(header::SET_COOKIE, cookie)], Json(registered)))
}

/// Start signing in with a passkey. The answer has the same shape for unknown identifiers.
#[utoipa::path(post, path = "/api/passkeys/authentication/start", tag = "clés d'accès",
    request_body = AuthenticationStart,
    responses(
        (status = 200, body = AuthenticationChallenge),
        (status = 400, description = "Identifiant mal formé", body = ApiError),
    ))]
pub async fn authentication_start(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AuthenticationStart>,
) -> AppResult<Json<AuthenticationChallenge>> {
    Ok(Json(
        passkeys::start_authentication(&state, &body.national_id).await?,
    ))
}

/// Finish signing in: on success a session cookie is set (HttpOnly, SameSite=Strict).
#[utoipa::path(post, path = "/api/passkeys/authentication/finish", tag = "clés d'accès",
    request_body = AuthenticationFinish,
    responses(
        (status = 200, description = "Connecté ; cookie de session posé", body = SessionState),
        (status = 400, description = "Vérification refusée", body = ApiError),
    ))]
pub async fn authentication_finish(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<AuthenticationFinish>,
) -> AppResult<impl IntoResponse> {
    let (token, signed_in) = passkeys::finish_authentication(&state, body, client).await?;
    let cookie = session::cookie_for(&state.settings, &token);
    let state = signed_in.state_with_roles(&state.db).await?;
    Ok(([(header::SET_COOKIE, cookie)], Json(state)))
}
