//! Phone side (the approver app): pending requests live, the code, PIN/biometrics,
//! "Quitter l'authentification" and "Ce n'est pas moi".

use crate::http::params::ApiPath;
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response, Sse},
};
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode,
    api::approval::{
        ApprovalChallenge, ApprovalConfirm, ApprovalState, ApproverPresence, CodeEntry,
        PendingApproval, PushFrozen,
    },
};

use crate::{
    approvals::{approver::Approver, limits, service},
    auth::session::display_name,
    error::{AppError, AppResult},
    events,
    http::json::ApiJson,
    routes::live,
    state::AppState,
};

/// "Is this browser an activated phone?", answered without a refusal: whose phone it is, or 204
/// when it is none — no approver cookie, an unknown one, or a revoked phone. The approver app
/// asks it first and reads the requests only on an activated phone, so a visitor's browser
/// never logs a failed request.
#[utoipa::path(get, path = "/api/approver/presence", tag = "application de validation",
    responses(
        (status = 200, description = "Ce navigateur est un téléphone activé", body = ApproverPresence),
        (status = 204, description = "Ce navigateur n'est pas un téléphone activé"),
    ))]
pub async fn presence(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    match Approver::of(&headers, &state).await {
        Ok(approver) => Ok(Json(ApproverPresence {
            display_name: display_name(&approver.professional),
            push_frozen: limits::current_freeze(
                &state.db,
                state.clock.now(),
                &approver.professional.national_id,
            )
            .await?
            .map(|(until, reported)| PushFrozen { until, reported }),
            device_label: approver.device.label,
        })
        .into_response()),
        Err(AppError::Api(error)) if error.code == ErrorCode::NotApproverDevice => {
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(error) => Err(error),
    }
}

/// Requests waiting for this phone's professional.
#[utoipa::path(get, path = "/api/approver/requests", tag = "application de validation",
    responses((status = 200, body = [PendingApproval]), (status = 401, body = ApiError)))]
pub async fn pending(
    State(state): State<AppState>,
    approver: Approver,
) -> AppResult<Json<Vec<PendingApproval>>> {
    Ok(Json(service::pending_for(&state, &approver).await?))
}

/// Live stream for the phone: `approval_requested` (a `PendingApproval`) and `approval_status`.
#[utoipa::path(get, path = "/api/approver/events", tag = "application de validation",
    responses((status = 200, description = "Flux d'événements", content_type = "text/event-stream", body = String), (status = 401, body = ApiError), (status = 429, body = ApiError)))]
pub async fn follow(
    State(state): State<AppState>,
    approver: Approver,
    address: crate::http::client::ClientAddress,
) -> AppResult<Sse<live::Stream>> {
    live::stream(
        &state,
        live::Holder::Approver(approver.device.id),
        &address,
        vec![events::professional_channel(approver.professional.id)],
        Vec::new(),
    )
}

/// The code shown on the terminal; the answer is the PIN/biometrics challenge for this request.
#[utoipa::path(post, path = "/api/approver/requests/{id}/code", tag = "application de validation",
    params(("id" = Uuid, Path)), request_body = CodeEntry,
    responses((status = 200, body = ApprovalChallenge), (status = 400, description = "Code erroné", body = ApiError), (status = 409, body = ApiError)))]
pub async fn code(
    State(state): State<AppState>,
    approver: Approver,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CodeEntry>,
) -> AppResult<Json<ApprovalChallenge>> {
    Ok(Json(
        service::enter_code(&state, &approver, id, &body.code).await?,
    ))
}

/// PIN/biometrics done: approve the request.
#[utoipa::path(post, path = "/api/approver/requests/{id}/approve", tag = "application de validation",
    params(("id" = Uuid, Path)), request_body = ApprovalConfirm,
    responses((status = 200, body = ApprovalState), (status = 400, body = ApiError), (status = 409, body = ApiError)))]
pub async fn approve(
    State(state): State<AppState>,
    approver: Approver,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ApprovalConfirm>,
) -> AppResult<Json<ApprovalState>> {
    Ok(Json(service::approve(&state, &approver, id, body).await?))
}

/// "Quitter l'authentification": refuse with one tap.
#[utoipa::path(post, path = "/api/approver/requests/{id}/refuse", tag = "application de validation",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ApprovalState), (status = 409, body = ApiError)))]
pub async fn refuse(
    State(state): State<AppState>,
    approver: Approver,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ApprovalState>> {
    Ok(Json(service::refuse(&state, &approver, id).await?))
}

/// "Ce n'est pas moi": refuse and report fraud.
#[utoipa::path(post, path = "/api/approver/requests/{id}/report", tag = "application de validation",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ApprovalState), (status = 409, body = ApiError)))]
pub async fn report(
    State(state): State<AppState>,
    approver: Approver,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ApprovalState>> {
    Ok(Json(service::report(&state, &approver, id).await?))
}
