//! "Mes appareils": the signed-in principal's passkeys and approver phones; a structure's
//! manager for their staff; security officers for anyone; the add-mail's "Ce n'est pas moi".

use crate::http::params::ApiPath;
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use uuid::Uuid;
use vigie_shared::{
    ApiError,
    api::credentials::{CredentialReport, CredentialView},
};

use crate::{
    approvals::approver::Approver,
    auth::session::Authenticated,
    credentials::{
        Owner,
        manage::{self, Revoker},
        report,
    },
    error::AppResult,
    http::json::ApiJson,
    routes::security::SecurityOfficer,
    state::AppState,
    work::Actor,
};

/// My passkeys and activated phones (`current`: the passkey of this session, the phone this
/// browser is).
#[utoipa::path(get, path = "/api/credentials", tag = "appareils",
    responses((status = 200, body = [CredentialView]), (status = 401, body = ApiError),
        (status = 403, description = "Compte de structure : pas d'appareil", body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    headers: HeaderMap,
) -> AppResult<Json<Vec<CredentialView>>> {
    let owner = manage::owner_of(&current)?;
    // The phone this browser is, when it is one of mine.
    let device = Approver::of(&headers, &state)
        .await
        .ok()
        .filter(|a| Owner::professional(a.professional.id) == owner)
        .map(|a| a.device.id);
    Ok(Json(
        manage::list(&state.db, owner, Some(current.session.id), device).await?,
    ))
}

/// Revokes one of my passkeys (it stops signing in at once) or phones (it stops seeing and
/// approving requests; its live streams end). My last passkey is refused (409 `last_passkey`).
#[utoipa::path(delete, path = "/api/credentials/{id}", tag = "appareils",
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Appareil retiré"), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, description = "Dernière clé d'accès", body = ApiError)))]
pub async fn revoke(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    let owner = manage::owner_of(&current)?;
    manage::revoke(&state, Actor::of(&current), Some(owner), id, Revoker::Owner).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A staff member's passkeys, for the manager of their structure.
#[utoipa::path(get, path = "/api/structures/{id}/staff/{staff_id}/credentials", tag = "structures",
    params(("id" = Uuid, Path), ("staff_id" = Uuid, Path)),
    responses((status = 200, body = [CredentialView]), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn staff_list(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath((id, staff_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<Json<Vec<CredentialView>>> {
    let staff = manage::managed_staff(&state, &current.principal, id, staff_id).await?;
    Ok(Json(
        manage::list(&state.db, Owner::staff(staff.id), None, None).await?,
    ))
}

/// Revokes a staff member's passkey, for the manager of their structure.
#[utoipa::path(delete, path = "/api/structures/{id}/staff/{staff_id}/credentials/{credential_id}", tag = "structures",
    params(("id" = Uuid, Path), ("staff_id" = Uuid, Path), ("credential_id" = Uuid, Path)),
    responses((status = 204, description = "Clé d'accès retirée"), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn staff_revoke(
    State(state): State<AppState>,
    Authenticated(current): Authenticated,
    ApiPath((id, staff_id, credential_id)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> AppResult<StatusCode> {
    let staff = manage::managed_staff(&state, &current.principal, id, staff_id).await?;
    manage::revoke(
        &state,
        Actor::of(&current),
        Some(Owner::staff(staff.id)),
        credential_id,
        Revoker::Manager,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes anyone's passkey or phone (security officers).
#[utoipa::path(delete, path = "/api/security/credentials/{id}", tag = "sécurité",
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Appareil retiré"), (status = 401, body = ApiError),
        (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn officer_revoke(
    State(state): State<AppState>,
    SecurityOfficer(officer): SecurityOfficer,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    let actor = Actor {
        id: Some(officer.professional.id),
        session: Some(officer.session.id),
        ..Actor::anonymous()
    };
    manage::revoke(&state, actor, None, id, Revoker::SecurityOfficer).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The add-mail's "Ce n'est pas moi": revokes what was added and opens an incident. Single use;
/// an unknown, used or expired token answers 404.
#[utoipa::path(post, path = "/api/credentials/report", tag = "appareils",
    request_body = CredentialReport,
    responses((status = 204, description = "Appareil retiré, incident ouvert"), (status = 400, body = ApiError),
        (status = 404, body = ApiError)))]
pub async fn report(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CredentialReport>,
) -> AppResult<StatusCode> {
    report::report(&state, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}
