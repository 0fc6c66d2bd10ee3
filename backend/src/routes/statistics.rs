//! Open data, public (no sign-in): vaccination counts in the layout of the vacsi files, as
//! CSV (`;`, UTF-8) and JSON. Small counts suppressed: see `statistics::publish`.

use axum::{
    Json,
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use vigie_shared::{ApiError, api::statistics::StatisticsFile};

use crate::{
    error::AppResult,
    state::AppState,
    statistics::{self, population, publish::Level},
};

/// Filters of the files.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Age class: `0` (all ages), `04`, `09`, `11`, `17`, `24`, `29`, `39`, `49`, `59`, `64`,
    /// `69`, `74`, `79`, `80`. All when absent.
    pub clage_vacsi: Option<String>,
    /// Department (`75`, `2A`, `971`…), department files only. All when absent.
    pub dep: Option<String>,
}

fn csv(
    level: Level,
    rows: &[vigie_shared::api::statistics::StatisticsRow],
    name: &str,
) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "public, max-age=300".to_owned()),
        ],
        statistics::publish::csv(level, rows),
    )
        .into_response()
}

fn json(
    level: Level,
    rows: Vec<vigie_shared::api::statistics::StatisticsRow>,
) -> Json<StatisticsFile> {
    Json(StatisticsFile {
        level: match level {
            Level::National => "fra",
            Level::Department => "dep",
        }
        .into(),
        population_source: population::SOURCE.into(),
        rows,
    })
}

/// National file as JSON (`fra` = `FR`).
#[utoipa::path(get, path = "/api/statistics/national", tag = "open data", params(Filters),
    responses((status = 200, body = StatisticsFile), (status = 400, body = ApiError)))]
pub async fn national(
    State(state): State<AppState>,
    Query(f): Query<Filters>,
) -> AppResult<Json<StatisticsFile>> {
    let class = statistics::parse_class(f.clage_vacsi.as_deref())?;
    Ok(json(
        Level::National,
        statistics::national(&state.db, class).await?,
    ))
}

/// National file as CSV: `fra;clage_vacsi;jour;n_dose1;…;couv_rappel`.
#[utoipa::path(get, path = "/api/statistics/national.csv", tag = "open data", params(Filters),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ApiError)))]
pub async fn national_csv(
    State(state): State<AppState>,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    let class = statistics::parse_class(f.clage_vacsi.as_deref())?;
    let rows = statistics::national(&state.db, class).await?;
    Ok(csv(Level::National, &rows, "vigie-vacsi-a-fra.csv"))
}

/// Department file as JSON (`dep`): every department, or the one asked.
#[utoipa::path(get, path = "/api/statistics/departments", tag = "open data", params(Filters),
    responses((status = 200, body = StatisticsFile), (status = 400, body = ApiError)))]
pub async fn departments(
    State(state): State<AppState>,
    Query(f): Query<Filters>,
) -> AppResult<Json<StatisticsFile>> {
    let class = statistics::parse_class(f.clage_vacsi.as_deref())?;
    Ok(json(
        Level::Department,
        statistics::departments(&state.db, f.dep.as_deref(), class).await?,
    ))
}

/// Department file as CSV: `dep;clage_vacsi;jour;n_dose1;…;couv_rappel`.
#[utoipa::path(get, path = "/api/statistics/departments.csv", tag = "open data", params(Filters),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ApiError)))]
pub async fn departments_csv(
    State(state): State<AppState>,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    let class = statistics::parse_class(f.clage_vacsi.as_deref())?;
    let rows = statistics::departments(&state.db, f.dep.as_deref(), class).await?;
    Ok(csv(Level::Department, &rows, "vigie-vacsi-a-dep.csv"))
}
