//! Enrolled terminals: the structure's manager enrols hall tablets (device key), lists and
//! revokes them; a tablet gets single-use nonces to sign and asks which terminal it is.

use crate::http::params::ApiPath;
use axum::{Json, extract::State, http::StatusCode};
use uuid::Uuid;
use vigie_shared::{
    ApiError,
    api::terminal::{
        EnrolledTerminalView, NonceRequest, TerminalEnrolment, TerminalIdentity, TerminalNonce,
        TerminalProof,
    },
};

use crate::{
    auth::session::Authenticated, error::AppResult, http::json::ApiJson, state::AppState, terminals,
};

/// The structure's enrolled terminals, revoked ones included (managers only).
#[utoipa::path(get, path = "/api/structures/{id}/terminals", tag = "structures",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = [EnrolledTerminalView]), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<EnrolledTerminalView>>> {
    Ok(Json(terminals::list(&state, &current.principal, id).await?))
}

/// Enrols the tablet the manager is signed in on: its name and its device key's public half.
#[utoipa::path(post, path = "/api/structures/{id}/terminals", tag = "structures",
    params(("id" = Uuid, Path)), request_body = TerminalEnrolment,
    responses((status = 201, body = EnrolledTerminalView), (status = 400, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn enrol(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<TerminalEnrolment>,
) -> AppResult<(StatusCode, Json<EnrolledTerminalView>)> {
    Ok((
        StatusCode::CREATED,
        Json(terminals::enrol(&state, &current.principal, id, body).await?),
    ))
}

/// Revokes an enrolled terminal: its signatures no longer name it.
#[utoipa::path(post, path = "/api/structures/{id}/terminals/{terminal_id}/revoke", tag = "structures",
    params(("id" = Uuid, Path), ("terminal_id" = Uuid, Path)),
    responses((status = 200, body = EnrolledTerminalView), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn revoke(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath((id, terminal_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<Json<EnrolledTerminalView>> {
    Ok(Json(
        terminals::revoke(&state, &current.principal, id, terminal_id).await?,
    ))
}

/// A single-use nonce (60 s) for an enrolled terminal to sign; 404 for a terminal not enrolled
/// or revoked, 429 past 30 a minute for one terminal.
#[utoipa::path(post, path = "/api/terminals/nonce", tag = "validation par téléphone",
    request_body = NonceRequest,
    responses((status = 200, body = TerminalNonce), (status = 404, body = ApiError),
        (status = 429, description = "Trop de demandes de ce poste", body = ApiError)))]
pub async fn nonce(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NonceRequest>,
) -> AppResult<Json<TerminalNonce>> {
    Ok(Json(terminals::nonce(&state, body.terminal_id).await?))
}

/// Which enrolled terminal signed this (its nonce is spent); 404 when the proof fails.
#[utoipa::path(post, path = "/api/terminals/identify", tag = "validation par téléphone",
    request_body = TerminalProof,
    responses((status = 200, body = TerminalIdentity), (status = 404, body = ApiError)))]
pub async fn identify(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TerminalProof>,
) -> AppResult<Json<TerminalIdentity>> {
    Ok(Json(terminals::identify(&state, body).await?))
}
