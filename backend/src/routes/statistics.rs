//! Open data, public (no sign-in): vaccination counts in the layout of the vacsi files, as
//! CSV (`;`, UTF-8) and JSON. Small counts suppressed: see `statistics::publish`. Files are
//! cacheable (`Cache-Control`, `ETag`, `304`) and bounded: a row a class a campaign day.

use crate::http::params::ApiQuery;
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use vigie_shared::{ApiError, api::statistics::StatisticsFile};

use crate::{
    error::AppResult,
    state::AppState,
    statistics::{self, population, publish::Level},
};

/// Filters of the national files.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// Age class: `0` (all ages), `04`, `09`, `11`, `17`, `24`, `29`, `39`, `49`, `59`, `64`,
    /// `69`, `74`, `79`, `80`. All when absent.
    #[param(pattern = "^(0|04|09|11|17|24|29|39|49|59|64|69|74|79|80)$")]
    pub clage_vacsi: Option<String>,
}

/// Filters of the department files: the department is required.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DepartmentFilters {
    /// Age class, as in the national files. All when absent.
    #[param(pattern = "^(0|04|09|11|17|24|29|39|49|59|64|69|74|79|80)$")]
    pub clage_vacsi: Option<String>,
    /// Department (`75`, `2A`, `971`…): one department a file.
    #[param(required = true, pattern = "^([0-9]{2}|2[AB]|9[78][0-9])$")]
    pub dep: Option<String>,
}

/// How long a cache (browser, proxy) may keep a file: counts move as injections arrive, and
/// five minutes late is fine for open data.
const CACHE_CONTROL: &str = "public, max-age=300";

/// A public file, cacheable: `ETag` from its content, and `304 Not Modified` (no body) when
/// the client already holds this version.
fn public_file(
    asked: &HeaderMap,
    content_type: &str,
    name: Option<&str>,
    body: Vec<u8>,
) -> Response {
    // Weak: the compression layer may send the same content in another encoding.
    let opaque = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    let unchanged = asked
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == opaque || t == "*");
    let etag = format!("W/{opaque}");
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let mut headers = vec![
        (header::CACHE_CONTROL, CACHE_CONTROL.to_owned()),
        (header::ETAG, etag),
    ];
    if !unchanged {
        headers.push((header::CONTENT_TYPE, content_type.to_owned()));
        if let Some(name) = name {
            headers.push((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ));
        }
    }
    for (k, v) in headers {
        // Plain ASCII built here: always a valid header value.
        if let Ok(v) = HeaderValue::from_str(&v) {
            response.headers_mut().insert(k, v);
        }
    }
    response
}

fn csv(
    asked: &HeaderMap,
    level: Level,
    rows: &[vigie_shared::api::statistics::StatisticsRow],
    name: &str,
) -> Response {
    public_file(
        asked,
        "text/csv; charset=utf-8",
        Some(name),
        statistics::publish::csv(level, rows).into_bytes(),
    )
}

fn json(
    asked: &HeaderMap,
    level: Level,
    rows: Vec<vigie_shared::api::statistics::StatisticsRow>,
) -> AppResult<Response> {
    let file = StatisticsFile {
        level: match level {
            Level::National => "fra",
            Level::Department => "dep",
        }
        .into(),
        population_source: population::SOURCE.into(),
        rows,
    };
    let body = serde_json::to_vec(&file).map_err(crate::error::AppError::internal)?;
    Ok(public_file(asked, "application/json", None, body))
}

/// National file as JSON (`fra` = `FR`).
#[utoipa::path(get, path = "/api/statistics/national", tag = "open data", params(Filters),
    responses(
        (status = 200, body = StatisticsFile, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, body = ApiError)))]
pub async fn national(
    State(state): State<AppState>,
    asked: HeaderMap,
    ApiQuery(f): ApiQuery<Filters>,
) -> AppResult<Response> {
    let class = statistics::parse_class(f.clage_vacsi.as_deref())?;
    json(
        &asked,
        Level::National,
        statistics::national(&state.db, class).await?,
    )
}

/// National file as CSV: `fra;clage_vacsi;jour;n_dose1;…;couv_rappel`.
#[utoipa::path(get, path = "/api/statistics/national.csv", tag = "open data", params(Filters),
    responses(
        (status = 200, content_type = "text/csv", body = String,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, body = ApiError)))]
pub async fn national_csv(
    State(state): State<AppState>,
    asked: HeaderMap,
    ApiQuery(f): ApiQuery<Filters>,
) -> AppResult<Response> {
    let class = statistics::parse_class(f.clage_vacsi.as_deref())?;
    let rows = statistics::national(&state.db, class).await?;
    Ok(csv(&asked, Level::National, &rows, "vigie-vacsi-a-fra.csv"))
}

/// Department file as JSON (`dep`), for the department asked (required).
#[utoipa::path(get, path = "/api/statistics/departments", tag = "open data", params(DepartmentFilters),
    responses(
        (status = 200, body = StatisticsFile, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, body = ApiError)))]
pub async fn departments(
    State(state): State<AppState>,
    asked: HeaderMap,
    ApiQuery(f): ApiQuery<DepartmentFilters>,
) -> AppResult<Response> {
    let class = statistics::parse_class(f.clage_vacsi.as_deref())?;
    json(
        &asked,
        Level::Department,
        statistics::departments(&state.db, f.dep.as_deref(), class).await?,
    )
}

/// Department file as CSV: `dep;clage_vacsi;jour;n_dose1;…;couv_rappel`.
#[utoipa::path(get, path = "/api/statistics/departments.csv", tag = "open data", params(DepartmentFilters),
    responses(
        (status = 200, content_type = "text/csv", body = String,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Unchanged since the ETag given in If-None-Match"),
        (status = 400, body = ApiError)))]
pub async fn departments_csv(
    State(state): State<AppState>,
    asked: HeaderMap,
    ApiQuery(f): ApiQuery<DepartmentFilters>,
) -> AppResult<Response> {
    let class = statistics::parse_class(f.clage_vacsi.as_deref())?;
    let rows = statistics::departments(&state.db, f.dep.as_deref(), class).await?;
    Ok(csv(
        &asked,
        Level::Department,
        &rows,
        "vigie-vacsi-a-dep.csv",
    ))
}
