//! "Mes sessions": list my sessions, end any of them (it takes effect on that device at once),
//! and the sign-in mail's "Ce n'est pas moi" link.

use std::collections::HashMap;

use crate::http::params::ApiPath;
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::Sse,
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;
use vigie_shared::{
    ApiError, ErrorCode,
    api::session::{SessionReport, SessionSummary},
};

use crate::work::{Actor, SessionEnd, Work};
use crate::{
    approvals::{self, terminal},
    auth::{
        session::{Authenticated, Principal, SessionPeek},
        sign_in,
    },
    entities::{session as session_row, terminal as terminal_row},
    error::AppResult,
    events,
    http::json::ApiJson,
    routes::live,
    state::AppState,
};

fn device(ua: Option<&str>) -> String {
    let mut headers = HeaderMap::new();
    if let Some(v) = ua.and_then(|ua| axum::http::HeaderValue::from_str(ua).ok()) {
        headers.insert(header::USER_AGENT, v);
    }
    terminal::describe(&headers)
}

/// The sessions that are mine: a professional's own (not those a delegate opened under their
/// authority), or a structure account's.
fn owned_by(principal: &Principal) -> Condition {
    match principal {
        Principal::Professional(p) => Condition::all()
            .add(session_row::Column::ProfessionalId.eq(p.id))
            .add(session_row::Column::StaffMemberId.is_null()),
        Principal::Account { account, .. } => {
            Condition::all().add(session_row::Column::AccountId.eq(account.id))
        }
        Principal::Delegate { staff, .. } => {
            Condition::all().add(session_row::Column::StaffMemberId.eq(staff.id))
        }
    }
}

/// My open sessions, on every device.
#[utoipa::path(get, path = "/api/sessions", tag = "session",
    responses((status = 200, body = [SessionSummary]), (status = 401, body = ApiError)))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(signed_in): Authenticated,
) -> AppResult<Json<Vec<SessionSummary>>> {
    let now = state.now();
    let rows = session_row::Entity::find()
        .filter(owned_by(&signed_in.principal))
        .filter(session_row::Column::EndedAt.is_null())
        .filter(session_row::Column::IdleExpiresAt.gt(now))
        .filter(session_row::Column::AbsoluteExpiresAt.gt(now))
        .order_by_desc(session_row::Column::LastSeenAt)
        .all(&state.db)
        .await?;
    // A push sign-in names its terminal as the phone showed it (enrolled name and structure, or
    // "Poste inconnu", with the name typed there as a hint only); otherwise the name typed on
    // the terminal says more than the browser: a hall's tablets all run the same one.
    let session_ids: Vec<Uuid> = rows.iter().map(|s| s.id).collect();
    let signed_in_on = approvals::service::session_terminals(&state.db, &session_ids).await?;
    let terminal_ids: Vec<Uuid> = rows.iter().filter_map(|s| s.terminal_id).collect();
    let labels: HashMap<Uuid, String> = if terminal_ids.is_empty() {
        HashMap::new()
    } else {
        terminal_row::Entity::find()
            .filter(terminal_row::Column::Id.is_in(terminal_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.label))
            .collect()
    };
    Ok(Json(
        rows.into_iter()
            .map(|s| SessionSummary {
                session_id: s.id,
                method: s.method.clone(),
                device: device(s.user_agent.as_deref()),
                terminal: {
                    let typed = s
                        .terminal_id
                        .and_then(|t| labels.get(&t))
                        .filter(|l| !l.is_empty());
                    match (signed_in_on.get(&s.id), typed) {
                        (Some(on), Some(typed)) if !on.enrolled => {
                            Some(format!("{} (nommé « {typed} » sur le poste)", on.name))
                        }
                        (Some(on), _) => Some(on.name.clone()),
                        (None, typed) => typed.cloned(),
                    }
                },
                ip: s.ip.clone(),
                started_at: s.created_at,
                last_activity_at: s.last_seen_at,
                current: s.id == signed_in.session.id,
            })
            .collect(),
    ))
}

/// Ends one of my sessions; its device is told at once (live event) and refused from then on.
#[utoipa::path(post, path = "/api/sessions/{id}/end", tag = "session",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ApiError)))]
pub async fn end(
    State(state): State<AppState>,
    Authenticated(signed_in): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    let row = session_row::Entity::find()
        .filter(session_row::Column::Id.eq(id))
        .filter(owned_by(&signed_in.principal))
        .one(&state.db)
        .await?;
    // Someone else's session does not exist, as far as I am concerned.
    let Some(row) = row else {
        return Err(ErrorCode::NotFound.into());
    };
    let mut work = Work::begin(&state, Actor::of(&signed_in)).await?;
    work.end_session(
        &row,
        SessionEnd::EndedByUser {
            by_session: signed_in.session.id,
        },
    )
    .await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Live events of this device's session (`session_ended`), for the header to react at once.
#[utoipa::path(get, path = "/api/session/events", tag = "session",
    responses((status = 200, description = "Flux d'événements", content_type = "text/event-stream", body = String), (status = 401, body = ApiError), (status = 429, body = ApiError)))]
pub async fn follow(
    State(state): State<AppState>,
    SessionPeek(signed_in): SessionPeek,
    address: crate::http::client::ClientAddress,
) -> AppResult<Sse<live::Stream>> {
    live::stream(
        &state,
        live::Holder::Session(&signed_in.session),
        &address,
        vec![events::session_channel(signed_in.session.id)],
        Vec::new(),
    )
}

/// The sign-in mail's "Ce n'est pas moi": ends that session and reports fraud.
#[utoipa::path(post, path = "/api/sessions/report", tag = "session",
    request_body = SessionReport,
    responses((status = 204, description = "Session fermée, incident ouvert"), (status = 404, body = ApiError)))]
pub async fn report(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SessionReport>,
) -> AppResult<StatusCode> {
    sign_in::report(&state, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}
