use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};
use vigie_shared::{ApiError, api::session::SessionState};

use crate::work::{Actor, SessionEnd, Work};
use crate::{
    auth::session::{self, AnyStage, SessionPeek},
    error::AppResult,
    state::AppState,
};

/// Who is signed in on this device and until when. Reading it does not count as activity.
#[utoipa::path(get, path = "/api/session", tag = "session",
    responses(
        (status = 200, body = SessionState),
        (status = 401, description = "Pas de session, ou session expirée", body = ApiError),
    ))]
pub async fn current(SessionPeek(current): SessionPeek) -> Json<SessionState> {
    Json(current.state())
}

/// "Rester connecté": counts as activity and pushes the idle limit back.
#[utoipa::path(post, path = "/api/session/keep-alive", tag = "session",
    responses(
        (status = 200, body = SessionState),
        (status = 401, body = ApiError),
    ))]
pub async fn keep_alive(AnyStage(current): AnyStage) -> Json<SessionState> {
    Json(current.state())
}

/// Ends this session on the server and clears the cookie.
#[utoipa::path(post, path = "/api/session/logout", tag = "session",
    responses(
        (status = 204, description = "Session terminée"),
        (status = 401, body = ApiError),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    SessionPeek(signed_in): SessionPeek,
) -> AppResult<impl IntoResponse> {
    let mut work = Work::begin(&state, Actor::of(&signed_in)).await?;
    work.end_session(&signed_in.session, SessionEnd::Logout)
        .await?;
    work.commit().await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            session::clearing_cookie(&state.settings),
        )],
    ))
}
