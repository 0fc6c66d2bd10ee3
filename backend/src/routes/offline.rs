//! Offline entry: permits for a device, the sync of its queue, the entries to look at again.

use axum::{Json, extract::State, http::StatusCode};
use uuid::Uuid;
use vigie_shared::{
    ApiError,
    api::offline::{OfflinePermit, PermitRequest, ReviewItem, SyncReport, SyncRequest},
};

use crate::{
    access::Actor, error::AppResult, http::json::ApiJson, http::params::ApiPath, state::AppState,
    vaccination::offline,
};

/// This session's offline permit for this device (issued at the first request, the same one
/// after): at most N entries, within H hours and the session's absolute limit.
#[utoipa::path(post, path = "/api/offline/permits", tag = "offline",
    request_body = PermitRequest,
    responses((status = 200, body = OfflinePermit),
        (status = 400, description = "Nom d'appareil invalide", body = ApiError),
        (status = 409, description = "La session a déjà une autorisation pour un autre appareil", body = ApiError)))]
pub async fn issue(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<PermitRequest>,
) -> AppResult<Json<OfflinePermit>> {
    Ok(Json(offline::issue(&state, &actor, &body).await?))
}

/// My permits of the last week (a professional also sees their delegates').
#[utoipa::path(get, path = "/api/offline/permits", tag = "offline",
    responses((status = 200, body = [OfflinePermit])))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<Vec<OfflinePermit>>> {
    Ok(Json(offline::list(&state, &actor).await?))
}

/// Revokes a permit: entries made after now on that device are refused at sync.
#[utoipa::path(post, path = "/api/offline/permits/{id}/revoke", tag = "offline",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OfflinePermit),
        (status = 404, description = "Pas une de mes autorisations", body = ApiError)))]
pub async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<OfflinePermit>> {
    Ok(Json(offline::revoke(&state, &actor, id).await?))
}

/// Syncs a device's queue in order: each entry recorded once, flagged, or refused (listed "À
/// vérifier" either way).
#[utoipa::path(post, path = "/api/offline/sync", tag = "offline",
    request_body = SyncRequest,
    responses((status = 200, description = "Une réponse par saisie, dans l'ordre", body = SyncReport),
        (status = 400, description = "Plus de 50 saisies dans l'envoi", body = ApiError)))]
pub async fn sync(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<SyncRequest>,
) -> AppResult<Json<SyncReport>> {
    Ok(Json(offline::sync(&state, &actor, body.entries).await?))
}

/// Offline entries to look at again ("À vérifier"): flagged or refused, not yet seen.
#[utoipa::path(get, path = "/api/offline/review", tag = "offline",
    responses((status = 200, body = [ReviewItem])))]
pub async fn review(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<Vec<ReviewItem>>> {
    Ok(Json(offline::review(&state, &actor).await?))
}

/// The responsible professional has looked at this entry again.
#[utoipa::path(post, path = "/api/offline/review/{id}/done", tag = "offline",
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Vérifiée"),
        (status = 404, description = "Pas une de mes saisies", body = ApiError)))]
pub async fn reviewed(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    offline::reviewed(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
