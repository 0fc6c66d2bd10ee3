//! Security officers: open incidents, frozen identities (unfreeze with a reason).

use crate::http::params::ApiPath;
use axum::{
    Json,
    extract::{FromRequestParts, State},
    http::request::Parts,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode,
    api::security::{Freeze, Incident, Reason},
};

use crate::{
    auth::session::{SignedIn, display_name},
    entities::{incident, professional, push_freeze, role_grant, structure_account},
    error::{AppError, AppResult},
    http::json::ApiJson,
    state::AppState,
    work::{Actor, DomainEvent, Work},
};

pub const ROLE: &str = "security_officer";

/// The officer acts in their own session.
fn officer_acting(officer: &SignedIn) -> Actor {
    Actor {
        id: Some(officer.professional.id),
        session: Some(officer.session.id),
        ..Actor::anonymous()
    }
}

/// A signed-in professional holding the security officer role.
pub struct SecurityOfficer(pub SignedIn);

impl FromRequestParts<AppState> for SecurityOfficer {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        let granted = role_grant::Entity::find_by_id((signed_in.professional.id, ROLE.to_owned()))
            .one(&state.db)
            .await?;
        if granted.is_none() {
            return Err(ErrorCode::Forbidden.into());
        }
        Ok(Self(signed_in))
    }
}

/// An incident as the officer reads it: whom it concerns by name and identifier (a
/// professional's national identifier, or a structure account's).
async fn incident_view(state: &AppState, i: incident::Model) -> AppResult<Incident> {
    let (name, identifier) = match (i.professional_id, i.account_id) {
        (Some(id), _) => professional::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .map(|p| (display_name(&p), p.national_id))
            .unwrap_or_default(),
        (None, Some(id)) => structure_account::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .map(|a| (a.display_name, a.identifier))
            .unwrap_or_default(),
        (None, None) => Default::default(),
    };
    Ok(Incident {
        incident_id: i.id,
        kind: i.kind,
        professional: name,
        national_id: identifier,
        opened_at: i.opened_at,
        status: i.status,
    })
}

fn reason_required(r: &str) -> AppResult<String> {
    let r = r.trim();
    if r.chars().count() < 5 {
        return Err(AppError::Api(ApiError::new(
            ErrorCode::InvalidInput,
            "Indiquez un motif (5 caractères au moins).",
        )));
    }
    Ok(r.chars().take(500).collect())
}

/// Incidents still open, newest first.
#[utoipa::path(get, path = "/api/security/incidents", tag = "sécurité",
    responses((status = 200, body = [Incident]), (status = 403, body = ApiError)))]
pub async fn incidents(
    State(state): State<AppState>,
    _officer: SecurityOfficer,
) -> AppResult<Json<Vec<Incident>>> {
    let rows = incident::Entity::find()
        .filter(incident::Column::Status.eq("open"))
        .order_by_desc(incident::Column::OpenedAt)
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for i in rows {
        out.push(incident_view(&state, i).await?);
    }
    Ok(Json(out))
}

/// Closes an incident with a note.
#[utoipa::path(post, path = "/api/security/incidents/{id}/close", tag = "sécurité",
    params(("id" = Uuid, Path)), request_body = Reason,
    responses((status = 200, body = Incident), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn close_incident(
    State(state): State<AppState>,
    SecurityOfficer(officer): SecurityOfficer,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<Reason>,
) -> AppResult<Json<Incident>> {
    let now = state.now();
    let note = reason_required(&body.reason)?;
    let mut work = Work::begin(&state, officer_acting(&officer)).await?;
    let done = incident::Entity::update_many()
        .col_expr(incident::Column::Status, Expr::value("closed"))
        .col_expr(incident::Column::ClosedAt, Expr::value(now))
        .col_expr(
            incident::Column::ClosedBy,
            Expr::value(officer.professional.id.to_string()),
        )
        .col_expr(incident::Column::Note, Expr::value(note))
        .filter(incident::Column::Id.eq(id))
        .filter(incident::Column::Status.eq("open"))
        .exec(work.db())
        .await?;
    if done.rows_affected != 1 {
        return Err(ErrorCode::NotFound.into());
    }
    work.emit(DomainEvent::IncidentClosed { incident: id });
    work.commit().await?;
    let i = incident::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    Ok(Json(incident_view(&state, i).await?))
}

/// Identities whose push sign-in is frozen now.
#[utoipa::path(get, path = "/api/security/freezes", tag = "sécurité",
    responses((status = 200, body = [Freeze]), (status = 403, body = ApiError)))]
pub async fn freezes(
    State(state): State<AppState>,
    _officer: SecurityOfficer,
) -> AppResult<Json<Vec<Freeze>>> {
    let rows = push_freeze::Entity::find()
        .filter(push_freeze::Column::FrozenUntil.gt(state.now()))
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for f in rows {
        let p = professional::Entity::find()
            .filter(professional::Column::NationalId.eq(f.national_id.clone()))
            .one(&state.db)
            .await?;
        out.push(Freeze {
            national_id: f.national_id,
            professional: p.as_ref().map(display_name),
            frozen_until: f.frozen_until.unwrap_or_default(),
            reason: f.reason,
        });
    }
    Ok(Json(out))
}

/// Lifts a freeze, with the reason written to the audit trail.
#[utoipa::path(post, path = "/api/security/freezes/{national_id}/lift", tag = "sécurité",
    params(("national_id" = String, Path, pattern = r"^8[0-9]{11}$",
        description = "Identifiant national gelé (« 8 » suivi du numéro RPPS)")),
    request_body = Reason,
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError)))]
pub async fn lift_freeze(
    State(state): State<AppState>,
    SecurityOfficer(officer): SecurityOfficer,
    ApiPath(national_id): ApiPath<String>,
    ApiJson(body): ApiJson<Reason>,
) -> AppResult<axum::http::StatusCode> {
    let now = state.now();
    let reason = reason_required(&body.reason)?;
    let mut work = Work::begin(&state, officer_acting(&officer)).await?;
    let done = push_freeze::Entity::update_many()
        .col_expr(
            push_freeze::Column::FrozenUntil,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(push_freeze::Column::ConsecutiveFailures, Expr::value(0))
        .col_expr(push_freeze::Column::UpdatedAt, Expr::value(now))
        .filter(push_freeze::Column::NationalId.eq(national_id.clone()))
        .filter(push_freeze::Column::FrozenUntil.gt(now))
        .exec(work.db())
        .await?;
    if done.rows_affected != 1 {
        return Err(ErrorCode::NotFound.into());
    }
    work.emit(DomainEvent::PushUnfrozen {
        national_id: national_id.clone(),
        reason,
    });
    work.commit().await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
