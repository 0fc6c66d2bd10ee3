use axum::{Json, extract::State, http::StatusCode};
use vigie_shared::api::health::{DatabaseState, Health};

use crate::{db, state::AppState};

/// Service health: database reachability and version.
#[utoipa::path(get, path = "/api/health", tag = "santé",
    responses(
        (status = 200, description = "Tout fonctionne", body = Health),
        (status = 503, description = "La base de données ne répond pas", body = Health),
    ))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let up = db::is_up(&state.db).await;
    let body = Health {
        status: if up { "ok" } else { "degraded" }.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        database: if up {
            DatabaseState::Up
        } else {
            DatabaseState::Down
        },
        database_backend: db::backend_name(&state.db).into(),
    };
    let status = if up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
