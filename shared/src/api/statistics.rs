//! Open data: daily vaccination counts in the layout of Santé publique France's "vacsi" files.
//!
//! The CSV files (`;`-separated, UTF-8) and the JSON documents carry the same rows; a blank CSV
//! cell is `null` in JSON (a suppressed count, or a rate that is not published).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The age classes of the vacsi files, in file order: `0` = all ages, then the upper bound of
/// each class (`04` = 0–4 years, `09` = 5–9, `11` = 10–11, …, `79` = 75–79), `80` = 80 and over.
pub const AGE_CLASSES: [&str; 15] = [
    "0", "04", "09", "11", "17", "24", "29", "39", "49", "59", "64", "69", "74", "79", "80",
];

/// The CSV header of the national file.
pub const NATIONAL_CSV_HEADER: &str = "fra;clage_vacsi;jour;n_dose1;n_complet;n_rappel;n_cum_dose1;n_cum_complet;n_cum_rappel;couv_dose1;couv_complet;couv_rappel";
/// The CSV header of the department file.
pub const DEPARTMENT_CSV_HEADER: &str = "dep;clage_vacsi;jour;n_dose1;n_complet;n_rappel;n_cum_dose1;n_cum_complet;n_cum_rappel;couv_dose1;couv_complet;couv_rappel";

/// One row: one geography, one age class, one day (Europe/Paris date of injection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatisticsRow {
    /// `FR` in the national file (absent in the department file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fra: Option<String>,
    /// Department of residence (`01`…`95`, `2A`, `2B`, `971`…) in the department file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dep: Option<String>,
    /// One of [`AGE_CLASSES`].
    pub clage_vacsi: String,
    pub jour: NaiveDate,
    /// People who received a first dose that day (`null`: suppressed).
    pub n_dose1: Option<u64>,
    /// People who completed their primary schedule that day.
    pub n_complet: Option<u64>,
    /// Booster doses that day.
    pub n_rappel: Option<u64>,
    pub n_cum_dose1: Option<u64>,
    pub n_cum_complet: Option<u64>,
    pub n_cum_rappel: Option<u64>,
    /// Percent of the population of the geography and age class, one decimal (`null`: not
    /// published, see the suppression rules).
    pub couv_dose1: Option<f64>,
    pub couv_complet: Option<f64>,
    pub couv_rappel: Option<f64>,
}

/// A whole file as JSON: what the CSV of the same URL (with `.csv`) holds, plus its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatisticsFile {
    /// `fra` (national) or `dep` (by department).
    pub level: String,
    /// Where the population denominators come from, and their year.
    pub population_source: String,
    /// Rows ordered by geography, then age class (file order), then day.
    pub rows: Vec<StatisticsRow>,
}
