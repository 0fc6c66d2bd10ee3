//! A structure's vaccine lots: its structure account (manager) and its professionals.

use crate::http::params::ApiPath;
use axum::{Json, extract::State};
use uuid::Uuid;
use vigie_shared::{
    ApiError,
    api::vaccination::{LotActivation, LotView, LotWastage, NewLot},
};

use crate::{
    auth::session::Authenticated, error::AppResult, http::json::ApiJson, state::AppState,
    vaccination::lots,
};

#[utoipa::path(get, path = "/api/structures/{id}/lots", tag = "lots",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = [LotView]), (status = 404, description = "Pas une de mes structures", body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<LotView>>> {
    Ok(Json(lots::list(&state, &current.principal, id).await?))
}

#[utoipa::path(post, path = "/api/structures/{id}/lots", tag = "lots",
    params(("id" = Uuid, Path)), request_body = NewLot,
    responses((status = 200, body = LotView), (status = 400, body = ApiError), (status = 409, body = ApiError)))]
pub async fn create(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewLot>,
) -> AppResult<Json<LotView>> {
    Ok(Json(
        lots::create(&state, &current.principal, current.session.id, id, &body).await?,
    ))
}

/// Activates or withdraws a lot.
#[utoipa::path(post, path = "/api/lots/{id}/active", tag = "lots",
    params(("id" = Uuid, Path)), request_body = LotActivation,
    responses((status = 200, body = LotView), (status = 404, body = ApiError)))]
pub async fn set_active(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<LotActivation>,
) -> AppResult<Json<LotView>> {
    Ok(Json(
        lots::set_active(
            &state,
            &current.principal,
            current.session.id,
            id,
            body.active,
        )
        .await?,
    ))
}

/// Declares doses of a lot lost; they leave its stock.
#[utoipa::path(post, path = "/api/lots/{id}/wastage", tag = "lots",
    params(("id" = Uuid, Path)), request_body = LotWastage,
    responses((status = 200, body = LotView), (status = 400, body = ApiError), (status = 404, body = ApiError),
        (status = 409, description = "Plus assez de doses dans le lot (`lot_exhausted`)", body = ApiError)))]
pub async fn wastage(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<LotWastage>,
) -> AppResult<Json<LotView>> {
    Ok(Json(
        lots::declare_wastage(&state, &current.principal, current.session.id, id, &body).await?,
    ))
}
