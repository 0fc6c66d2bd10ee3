//! Test-only control of the server clock, refused unless the `testing` setting is on.

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vigie_shared::{ApiError, ErrorCode};

use crate::{error::AppResult, http::json::ApiJson, state::AppState};

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClockAdvance {
    pub seconds: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockState {
    pub now: chrono::DateTime<chrono::Utc>,
    pub offset_seconds: i64,
}

/// Moves the server clock forward (browser tests of session limits). 404 outside test mode.
#[utoipa::path(post, path = "/api/testing/clock", tag = "tests",
    request_body = ClockAdvance,
    responses(
        (status = 200, body = ClockState),
        (status = 404, description = "Hors mode test", body = ApiError),
    ))]
pub async fn advance_clock(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ClockAdvance>,
) -> AppResult<Json<ClockState>> {
    if !state.settings.testing {
        return Err(ErrorCode::NotFound.into());
    }
    state.clock.advance(chrono::Duration::seconds(body.seconds));
    Ok(Json(ClockState {
        now: state.now(),
        offset_seconds: state.clock.offset().num_seconds(),
    }))
}
