use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use vigie_shared::{ApiError, ErrorCode, api::session::SessionState};

use crate::work::{Actor, SessionEnd, Work};
use crate::{
    auth::session::{self, AnyStage, SessionPeek},
    error::{AppError, AppResult},
    state::AppState,
};

/// Who is signed in on this device and until when. Reading it does not count as activity.
#[utoipa::path(get, path = "/api/session", tag = "session",
    responses(
        (status = 200, body = SessionState),
        (status = 401, description = "Pas de session, ou session expirée", body = ApiError),
    ))]
pub async fn current(
    State(state): State<AppState>,
    SessionPeek(current): SessionPeek,
) -> AppResult<Json<SessionState>> {
    Ok(Json(current.state_with_roles(&state.db).await?))
}

/// "Is anyone signed in here?", answered without a refusal: the session as `GET /api/session`
/// gives it (at any stage of its sign-in), or 204 when nobody is signed in on this device — no
/// cookie, an unknown one, or a session that has ended or expired. The app asks it at start and
/// while a session is open, so an anonymous visitor's browser never logs a failed request.
/// Reading it does not count as activity.
#[utoipa::path(get, path = "/api/session/presence", tag = "session",
    responses(
        (status = 200, description = "Une session est ouverte sur cet appareil", body = SessionState),
        (status = 204, description = "Personne n'est connecté sur cet appareil"),
    ))]
pub async fn presence(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    match session::find_live(&state, &headers, false).await {
        Ok(current) => Ok(Json(current.state_with_roles(&state.db).await?).into_response()),
        Err(AppError::Api(error))
            if matches!(
                error.code,
                ErrorCode::Unauthenticated | ErrorCode::SessionExpired
            ) =>
        {
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(error) => Err(error),
    }
}

/// "Rester connecté": counts as activity and pushes the idle limit back.
#[utoipa::path(post, path = "/api/session/keep-alive", tag = "session",
    responses(
        (status = 200, body = SessionState),
        (status = 401, body = ApiError),
    ))]
pub async fn keep_alive(
    State(state): State<AppState>,
    AnyStage(current): AnyStage,
) -> AppResult<Json<SessionState>> {
    Ok(Json(current.state_with_roles(&state.db).await?))
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
