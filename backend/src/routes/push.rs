//! Web Push: the server's public key, and the phone's subscription (approver cookie).

use axum::{Json, extract::State, http::StatusCode};
use vigie_shared::{
    ApiError,
    api::push::{PushKey, PushStatus, PushSubscription},
};

use crate::{
    approvals::approver::Approver, error::AppResult, http::json::ApiJson, push, state::AppState,
};

/// The VAPID public key the phone subscribes with (`applicationServerKey`).
#[utoipa::path(get, path = "/api/push/key", tag = "application de validation",
    responses((status = 200, description = "Clé publique du serveur (point P-256 non compressé, base64url sans remplissage)", body = PushKey)))]
pub async fn key(State(state): State<AppState>) -> Json<PushKey> {
    Json(PushKey {
        public_key: state.push.public_key().to_owned(),
    })
}

/// This phone's subscription to its push service; replaces the previous one.
#[utoipa::path(put, path = "/api/approver/push", tag = "application de validation",
    request_body = PushSubscription,
    responses(
        (status = 204, description = "Ce téléphone sera notifié des demandes"),
        (status = 400, description = "Abonnement invalide (`invalid_push_subscription`)", body = ApiError),
        (status = 401, body = ApiError),
    ))]
pub async fn subscribe(
    State(state): State<AppState>,
    approver: Approver,
    ApiJson(body): ApiJson<PushSubscription>,
) -> AppResult<StatusCode> {
    push::subscribe(&state, &approver, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether this phone is notified.
#[utoipa::path(get, path = "/api/approver/push", tag = "application de validation",
    responses((status = 200, body = PushStatus), (status = 401, body = ApiError)))]
pub async fn status(
    State(state): State<AppState>,
    approver: Approver,
) -> AppResult<Json<PushStatus>> {
    Ok(Json(push::status(&state, &approver).await?))
}

/// This phone is no longer notified.
#[utoipa::path(delete, path = "/api/approver/push", tag = "application de validation",
    responses(
        (status = 204, description = "Ce téléphone ne sera plus notifié"),
        (status = 401, body = ApiError),
    ))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    approver: Approver,
) -> AppResult<StatusCode> {
    push::unsubscribe(&state, &approver).await?;
    Ok(StatusCode::NO_CONTENT)
}
