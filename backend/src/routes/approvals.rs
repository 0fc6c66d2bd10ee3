//! Terminal side of push approval: ask, follow live, cancel, then claim the session.

use crate::http::params::ApiPath;
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Sse},
};
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode,
    api::{
        approval::{ApprovalCreate, ApprovalCreated, ApprovalState},
        live::LiveEvent,
        session::SessionState,
    },
};

use crate::{
    approvals::{service, terminal},
    auth::session::{self, Client},
    error::{AppError, AppResult},
    events,
    http::json::ApiJson,
    routes::live,
    state::AppState,
};

async fn this_terminal(
    state: &AppState,
    headers: &HeaderMap,
) -> AppResult<crate::entities::terminal::Model> {
    terminal::find(&state.db, &state.settings, headers)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))
}

/// Ask the professional's phone to approve a sign-in on this terminal. The answer (code, QR)
/// looks the same whether the identifier exists, is frozen or has no phone.
#[utoipa::path(post, path = "/api/approvals", tag = "validation par téléphone",
    request_body = ApprovalCreate,
    responses(
        (status = 200, body = ApprovalCreated),
        (status = 400, description = "Identifiant mal formé", body = ApiError),
        (status = 429, description = "Limite de demandes atteinte", body = ApiError),
    ))]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    ApiJson(body): ApiJson<ApprovalCreate>,
) -> AppResult<impl IntoResponse> {
    let asking = terminal::Asking {
        headers: &headers,
        label: body.terminal_label.as_deref(),
        proof: body.terminal_proof.as_ref().map(|proof| terminal::Signed {
            proof,
            purpose: vigie_shared::api::terminal::SignedPurpose::Push,
            subject: body.national_id.as_str(),
        }),
    };
    // Counted per address (an IPv6 client per /64), and shown so on the phone.
    let ip = client.counted.unwrap_or_else(|| "inconnue".into());
    let (created, new_terminal) =
        service::create(&state, &body.national_id, asking, &ip, None).await?;
    Ok((
        terminal::set_cookie(&state.settings, new_terminal),
        Json(created),
    ))
}

/// Where this terminal's request stands.
#[utoipa::path(get, path = "/api/approvals/{id}", tag = "validation par téléphone",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ApprovalState), (status = 404, body = ApiError)))]
pub async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ApprovalState>> {
    let terminal = this_terminal(&state, &headers).await?;
    Ok(Json(
        service::state_for_terminal(&state, id, &terminal).await?,
    ))
}

/// Live status of this terminal's request (Server-Sent Events, `approval_status` events).
#[utoipa::path(get, path = "/api/approvals/{id}/events", tag = "validation par téléphone",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "Flux d'événements", content_type = "text/event-stream", body = String), (status = 404, body = ApiError), (status = 429, body = ApiError)))]
pub async fn follow(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    address: crate::http::client::ClientAddress,
) -> AppResult<Sse<live::Stream>> {
    let terminal = this_terminal(&state, &headers).await?;
    // Checks ownership, and sends the current state first so nothing is missed.
    let current = service::state_for_terminal(&state, id, &terminal).await?;
    live::stream(
        &state,
        live::Holder::Terminal(terminal.id),
        &address,
        vec![events::approval_channel(id)],
        vec![LiveEvent::ApprovalState(current)],
    )
}

/// "Annuler" on the terminal.
#[utoipa::path(post, path = "/api/approvals/{id}/cancel", tag = "validation par téléphone",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ApprovalState), (status = 409, body = ApiError)))]
pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ApprovalState>> {
    let terminal = this_terminal(&state, &headers).await?;
    Ok(Json(service::cancel(&state, id, &terminal).await?))
}

/// Opens the session an approved request allows, once, on the terminal that asked.
#[utoipa::path(post, path = "/api/approvals/{id}/session", tag = "validation par téléphone",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "Connecté ; cookie de session posé", body = SessionState), (status = 409, body = ApiError)))]
pub async fn claim(
    State(state): State<AppState>,
    headers: HeaderMap,
    Client(client): Client,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<impl IntoResponse> {
    let terminal = this_terminal(&state, &headers).await?;
    // A delegated request upgrades the tablet's staff session that asked for it.
    let requester = session::find_live(&state, &headers, false).await.ok();
    let (token, session_state) = service::claim(&state, id, &terminal, client, requester).await?;
    let cookie = session::cookie_for(&state.settings, &token);
    Ok(([(header::SET_COOKIE, cookie)], Json(session_state)))
}
