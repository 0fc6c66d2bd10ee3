//! Test-only control of the server clock: compiled only with the `testing` feature (the
//! `vigie-testing` binary of the browser tests), and refused unless the `testing` setting is on.

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

/// How far tests may move the clock, in all.
const MAX_ADVANCE_SECONDS: i64 = 366 * 24 * 3600;

/// Moves the server clock forward (browser tests of session limits), 366 days in all at most.
/// 404 outside test mode.
#[utoipa::path(post, path = "/api/testing/clock", tag = "tests",
    request_body = ClockAdvance,
    responses(
        (status = 200, body = ClockState),
        (status = 400, description = "Décalage hors limites", body = ApiError),
        (status = 404, description = "Hors mode test", body = ApiError),
    ))]
pub async fn advance_clock(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ClockAdvance>,
) -> AppResult<Json<ClockState>> {
    if !state.settings.testing {
        return Err(ErrorCode::NotFound.into());
    }
    // Forward only, and within reach: a clock moved past what dates can hold would break
    // every later request.
    let total = state
        .clock
        .offset()
        .num_seconds()
        .saturating_add(body.seconds);
    if !(0..=MAX_ADVANCE_SECONDS).contains(&body.seconds) || total > MAX_ADVANCE_SECONDS {
        return Err(crate::error::AppError::Api(ApiError::new(
            ErrorCode::InvalidInput,
            "Le décalage de l'horloge doit rester entre 0 et 366 jours.",
        )));
    }
    state.clock.advance(chrono::Duration::seconds(body.seconds));
    Ok(Json(ClockState {
        now: state.now(),
        offset_seconds: state.clock.offset().num_seconds(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EnrolmentRequest {
    pub national_id: vigie_shared::NationalId,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentLink {
    pub link: String,
}

/// Issues an activation link as `vigie enrol` does, on the server's (possibly moved) clock.
/// 404 outside test mode.
#[utoipa::path(post, path = "/api/testing/enrolment", tag = "tests",
    request_body = EnrolmentRequest,
    responses(
        (status = 200, body = EnrolmentLink),
        (status = 404, description = "Hors mode test, ou identifiant inconnu", body = ApiError),
    ))]
pub async fn enrolment(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<EnrolmentRequest>,
) -> AppResult<Json<EnrolmentLink>> {
    let p = professional(&state, &body.national_id).await?;
    let issued = crate::auth::enrolment::issue(
        &state.db,
        state.now(),
        p.id,
        crate::auth::enrolment::LIFETIME,
    )
    .await?;
    let mut link = state
        .settings
        .public_url
        .join("/activation")
        .map_err(crate::error::AppError::internal)?;
    link.set_fragment(Some(&format!("jeton={}", issued.token)));
    Ok(Json(EnrolmentLink {
        link: link.to_string(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestSession {
    /// The `Cookie` header value that carries the session.
    pub cookie: String,
}

/// Opens a professional's session without a ceremony, for tools that explore the API signed
/// in (schemathesis). Test builds only; 404 outside test mode.
#[utoipa::path(post, path = "/api/testing/session", tag = "tests",
    request_body = EnrolmentRequest,
    responses(
        (status = 200, body = TestSession),
        (status = 404, description = "Hors mode test, ou identifiant inconnu", body = ApiError),
    ))]
pub async fn session(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<EnrolmentRequest>,
) -> AppResult<Json<TestSession>> {
    let p = professional(&state, &body.national_id).await?;
    let opened = crate::auth::session::open(
        &state.db,
        &state.settings,
        state.now(),
        p.id,
        "passkey",
        crate::auth::session::ClientInfo::default(),
    )
    .await?;
    let name = crate::http::cookies::Jar::Session.name(&state.settings);
    Ok(Json(TestSession {
        cookie: format!("{name}={}", opened.token),
    }))
}

/// The professional with this identifier, in test mode only (404 otherwise, or if unknown).
async fn professional(
    state: &AppState,
    national_id: &vigie_shared::NationalId,
) -> AppResult<crate::entities::professional::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if !state.settings.testing {
        return Err(ErrorCode::NotFound.into());
    }
    crate::entities::professional::Entity::find()
        .filter(crate::entities::professional::Column::NationalId.eq(national_id.as_str()))
        .one(&state.db)
        .await?
        .ok_or(crate::error::AppError::code(ErrorCode::NotFound))
}
