//! Structures and their staff, for their managers (structure account or manager professional).

use crate::http::params::ApiPath;
use axum::{Json, extract::State, http::StatusCode};
use uuid::Uuid;
use vigie_shared::{
    ApiError,
    api::delegation::{
        StaffDeclaration, StaffEnrolment, StaffView, StructureDetails, StructureUpdate,
    },
};

use crate::{
    auth::session::Authenticated,
    delegation::{staff, structures},
    error::AppResult,
    http::json::ApiJson,
    state::AppState,
};

/// The structures I manage (empty for anyone who manages none).
#[utoipa::path(get, path = "/api/structures/managed", tag = "structures",
    responses((status = 200, body = [StructureDetails]), (status = 401, body = ApiError)))]
pub async fn managed(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
) -> AppResult<Json<Vec<StructureDetails>>> {
    Ok(Json(
        structures::list_managed(&state, &current.principal).await?,
    ))
}

/// A structure I manage or work in.
#[utoipa::path(get, path = "/api/structures/{id}", tag = "structures",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = StructureDetails), (status = 404, body = ApiError)))]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<StructureDetails>> {
    Ok(Json(structures::get(&state, &current.principal, id).await?))
}

/// Address and opening hours (managers only).
#[utoipa::path(put, path = "/api/structures/{id}", tag = "structures",
    params(("id" = Uuid, Path)), request_body = StructureUpdate,
    responses((status = 200, body = StructureDetails), (status = 400, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn update(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<StructureUpdate>,
) -> AppResult<Json<StructureDetails>> {
    Ok(Json(
        structures::update(&state, &current.principal, id, body).await?,
    ))
}

/// Staff allowed to type under delegation, withdrawn ones included.
#[utoipa::path(get, path = "/api/structures/{id}/staff", tag = "structures",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = [StaffView]), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn staff_list(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<StaffView>>> {
    Ok(Json(staff::list(&state, &current.principal, id).await?))
}

/// Declares a staff member; answers with their one-time passkey link (24 h).
#[utoipa::path(post, path = "/api/structures/{id}/staff", tag = "structures",
    params(("id" = Uuid, Path)), request_body = StaffDeclaration,
    responses((status = 201, body = StaffEnrolment), (status = 400, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn staff_declare(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<StaffDeclaration>,
) -> AppResult<(StatusCode, Json<StaffEnrolment>)> {
    Ok((
        StatusCode::CREATED,
        Json(staff::declare(&state, &current.principal, id, body).await?),
    ))
}

/// Withdraws a staff member: their open delegated sessions end at once.
#[utoipa::path(post, path = "/api/structures/{id}/staff/{staff_id}/withdraw", tag = "structures",
    params(("id" = Uuid, Path), ("staff_id" = Uuid, Path)),
    responses((status = 200, body = StaffView), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn staff_withdraw(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath((id, staff_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<Json<StaffView>> {
    Ok(Json(
        staff::withdraw(&state, &current.principal, id, staff_id).await?,
    ))
}

/// A new passkey link for a staff member (the previous one stops working).
#[utoipa::path(post, path = "/api/structures/{id}/staff/{staff_id}/enrolment", tag = "structures",
    params(("id" = Uuid, Path), ("staff_id" = Uuid, Path)),
    responses((status = 200, body = StaffEnrolment), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn staff_enrolment(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath((id, staff_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<Json<StaffEnrolment>> {
    Ok(Json(
        staff::new_enrolment(&state, &current.principal, id, staff_id).await?,
    ))
}
