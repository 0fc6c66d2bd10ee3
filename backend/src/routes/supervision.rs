//! The supervising professional: delegated sessions under my authority, live; end one; contest
//! an entry.

use crate::http::params::ApiPath;
use axum::{Json, extract::State, http::StatusCode, response::Sse};
use uuid::Uuid;
use vigie_shared::{
    ApiError,
    api::delegation::{DelegatedEntry, DelegatedSessionView, EntryContest},
};

use crate::{
    auth::session::SignedIn, delegation::supervision, error::AppResult, events,
    http::json::ApiJson, routes::live, state::AppState,
};

/// My delegated sessions (open, and ended in the last 24 h) with their entries.
#[utoipa::path(get, path = "/api/supervision/sessions", tag = "supervision",
    responses((status = 200, body = [DelegatedSessionView]), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn sessions(
    State(state): State<AppState>,
    me: SignedIn,
) -> AppResult<Json<Vec<DelegatedSessionView>>> {
    Ok(Json(supervision::list(&state, &me.professional).await?))
}

/// Live: `delegated_session`, `delegated_entry`, `delegated_session_ended`, `entry_contested`.
#[utoipa::path(get, path = "/api/supervision/events", tag = "supervision",
    responses((status = 200, description = "Flux d'événements", content_type = "text/event-stream", body = String), (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 429, body = ApiError)))]
pub async fn follow(
    State(state): State<AppState>,
    me: SignedIn,
    address: crate::http::client::ClientAddress,
) -> AppResult<Sse<live::Stream>> {
    live::stream(
        &state,
        live::Holder::Session(&me.session),
        &address,
        vec![events::supervision_channel(me.professional.id)],
        Vec::new(),
    )
}

/// Ends a delegated session under my authority, now; the tablet is told at once.
#[utoipa::path(post, path = "/api/supervision/sessions/{id}/end", tag = "supervision",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ApiError)))]
pub async fn end(
    State(state): State<AppState>,
    me: SignedIn,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    supervision::end(&state, &me.professional, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Contests an entry a delegate typed under my responsibility.
#[utoipa::path(post, path = "/api/injections/{id}/contest", tag = "supervision",
    params(("id" = Uuid, Path)), request_body = EntryContest,
    responses((status = 200, body = DelegatedEntry), (status = 400, body = ApiError), (status = 404, body = ApiError)))]
pub async fn contest(
    State(state): State<AppState>,
    me: SignedIn,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<EntryContest>,
) -> AppResult<Json<DelegatedEntry>> {
    Ok(Json(
        supervision::contest(&state, &me.professional, me.session.id, id, &body).await?,
    ))
}
