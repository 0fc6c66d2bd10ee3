//! What leaves: the rows of a file, from true daily counts, with small counts suppressed.
//!
//! # Rules
//!
//! 1. **Base cells.** For each age class (`04` … `80`) and dose kind, the true *cumulative*
//!    count on each day is published as `P(n)`: blank if `n < 11`, otherwise `n` rounded to
//!    the nearest 10 (halves up: 11–14 → 10, 15–24 → 20, …). These are the `n_cum_*` columns
//!    of the age-class rows.
//! 2. **Everything else is computed from published base cells only**, never from true counts:
//!    - the `0` (all ages) rows' `n_cum_*` = the sum of the published age-class values of
//!      that day (a blank counts 0), blank if that sum is under 11;
//!    - the daily columns `n_dose1`, `n_complet`, `n_rappel` of an age-class row = the day's
//!      increase of the row's published cumulative: blank if either day's published cumulative
//!      is blank, or if the increase is under 11 (before the first day of the calendar the
//!      cumulative is known to be 0);
//!    - the daily columns of a `0` row = the sum of its classes' published daily values (a
//!      blank counts 0), blank if under 11.
//! 3. **Coverage** `couv_*` = 100 × true cumulative / population, one decimal (coverage is
//!    computed on true counts), published only if the row's published `n_cum_*` is not blank
//!    and the population of the geography × age class is at least 10 000.
//!
//! # What is guaranteed, within one file
//!
//! - Every count column is a function of the base cells `P(C)` alone, so no subtraction (or
//!   any other arithmetic) among count columns of the file tells more than the base cells do.
//!   A base cell tells only an interval: blank = 0–10 (11 values), `10` = 11–14, `R ≥ 20` =
//!   R−5 … R+4. Base cells of a row are monotone in time and independent across classes.
//! - Hence a suppressed count is never recovered: a blank cumulative stays 0–10; a daily count
//!   (true `C(d) − C(d−1)`) is known at best within `[max(0, lo(d) − hi(d−1)), hi(d) − lo(d−1)]`,
//!   at least 4 possible values (the narrowest base interval, 11–14, has 4); an all-ages count
//!   is a sum of such intervals, hence wider. In particular, `0` rows minus age-class rows and
//!   cumulative minus cumulative give back published (rounded or blank) figures only.
//! - A true count under 11 is always blank: `P(n)` is within −4…+5 of `n`, so the increase of
//!   two published cumulatives is at most the true increase + 9 and a true day under 11 shows
//!   as 0 or 10, blank; a published class day is ≥ 20, so its true count is ≥ 11, and a `0`
//!   row is non-blank only if one of its classes is.
//!
//! # What is not guaranteed
//!
//! - Daily values are multiples of 10 within ±9 of the true count (the increase of the rounded
//!   cumulatives), not always the nearest 10; a day of 11–19 may be blank. The `0` rows are
//!   sums of their rounded classes (within −4…+5 per class of the true total, less the blank
//!   classes' 0–10 each), so in a `0` row the daily values need not add up to the cumulative.
//! - Coverage is on true counts, as required: its one-decimal rounding gives an interval of
//!   0.1 % of the population (≥ 10 people, as wide as the rounding of counts). Intersected with
//!   a count's own interval it can narrow it, at worst to one value in unlucky alignments, and
//!   two consecutive such days would give a daily count. Computing coverage on published
//!   cumulatives would close this; it is a choice left open (see README).
//! - Across files (national vs departments, one department vs all): each file is rounded on
//!   its own; sums of departments against the national file are not protected.

use chrono::NaiveDate;
use vigie_shared::api::statistics::{AGE_CLASSES, StatisticsRow};

use super::{Counts, population};

/// Counts under this are published blank.
pub const THRESHOLD: u64 = 11;
/// Coverage is published for populations of at least this many people.
pub const MIN_POPULATION_FOR_RATES: f64 = 10_000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    National,
    Department,
}

/// True cumulatives of one day: per class (`0` = all ages, then `04`…`80`), per kind.
type Cumulatives = [[u64; 3]; 15];
/// Published cumulatives of one day, same layout (`None`: blank).
type Published = [[Option<u64>; 3]; 15];

/// A base cell: blank under 11, otherwise rounded to the nearest 10 (halves up).
pub fn suppress(n: u64) -> Option<u64> {
    (n >= THRESHOLD).then(|| (n + 5) / 10 * 10)
}

/// The published daily value from the previous and current published cumulatives.
pub fn increase(previous: Option<u64>, current: Option<u64>) -> Option<u64> {
    match (previous, current) {
        (Some(p), Some(c)) => Some(c.saturating_sub(p)).filter(|d| *d >= THRESHOLD),
        _ => None,
    }
}

fn rate(true_cumulative: u64, published: Option<u64>, pop: Option<f64>) -> Option<f64> {
    let pop = pop.filter(|p| *p >= MIN_POPULATION_FOR_RATES)?;
    published?;
    Some((1000.0 * true_cumulative as f64 / pop).round() / 10.0)
}

/// The rows of one geography: each age class asked (`None`: all 15, `0` first), each day of
/// the calendar, ordered by class then day.
pub fn file(
    level: Level,
    geo: &str,
    days: &[NaiveDate],
    counts: &Counts,
    class: Option<usize>,
) -> Vec<StatisticsRow> {
    let zero = [[0u64; 3]; 14];
    // True cumulatives and published base cells, per day, per class (1..=14), per kind.
    let mut true_cum = [[0u64; 3]; 14];
    let mut table: Vec<(Cumulatives, Published)> = Vec::with_capacity(days.len());
    for day in days {
        let today = counts.get(day).unwrap_or(&zero);
        let mut t = [[0u64; 3]; 15];
        let mut p = [[None; 3]; 15];
        for c in 0..14 {
            for k in 0..3 {
                true_cum[c][k] += today[c][k];
                t[c + 1][k] = true_cum[c][k];
                p[c + 1][k] = suppress(true_cum[c][k]);
                t[0][k] += true_cum[c][k];
            }
        }
        p[0] = std::array::from_fn(|k| {
            Some((1..15).filter_map(|c| p[c][k]).sum::<u64>()).filter(|s| *s >= THRESHOLD)
        });
        table.push((t, p));
    }
    let classes: Vec<usize> = match class {
        Some(c) => vec![c],
        None => (0..15).collect(),
    };
    let mut rows = Vec::with_capacity(classes.len() * days.len());
    for c in classes {
        let pop = population::of(geo, c);
        let mut previous = [[Some(0u64); 3]; 15];
        for (day, (t, p)) in days.iter().zip(&table) {
            // The published daily values of every class (a `0` row sums them).
            let mut class_daily = [[None; 3]; 15];
            for (ci, cd) in class_daily.iter_mut().enumerate().skip(1) {
                *cd = std::array::from_fn(|k| increase(previous[ci][k], p[ci][k]));
            }
            previous = *p;
            let daily: [Option<u64>; 3] = if c == 0 {
                std::array::from_fn(|k| {
                    Some((1..15).filter_map(|ci| class_daily[ci][k]).sum::<u64>())
                        .filter(|s| *s >= THRESHOLD)
                })
            } else {
                class_daily[c]
            };
            rows.push(StatisticsRow {
                fra: (level == Level::National).then(|| geo.to_owned()),
                dep: (level == Level::Department).then(|| geo.to_owned()),
                clage_vacsi: AGE_CLASSES[c].to_owned(),
                jour: *day,
                n_dose1: daily[0],
                n_complet: daily[1],
                n_rappel: daily[2],
                n_cum_dose1: p[c][0],
                n_cum_complet: p[c][1],
                n_cum_rappel: p[c][2],
                couv_dose1: rate(t[c][0], p[c][0], pop),
                couv_complet: rate(t[c][1], p[c][1], pop),
                couv_rappel: rate(t[c][2], p[c][2], pop),
            });
        }
    }
    rows
}

/// The CSV text of rows (`;`, UTF-8, `\n`), under the vacsi header of the level.
pub fn csv(level: Level, rows: &[StatisticsRow]) -> String {
    use std::fmt::Write;
    use vigie_shared::api::statistics::{DEPARTMENT_CSV_HEADER, NATIONAL_CSV_HEADER};
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    out.push_str(match level {
        Level::National => NATIONAL_CSV_HEADER,
        Level::Department => DEPARTMENT_CSV_HEADER,
    });
    out.push('\n');
    let n = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    let r = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
    for row in rows {
        let geo = row
            .fra
            .as_deref()
            .or(row.dep.as_deref())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{geo};{};{};{};{};{};{};{};{};{};{};{}",
            row.clage_vacsi,
            row.jour.format("%Y-%m-%d"),
            n(row.n_dose1),
            n(row.n_complet),
            n(row.n_rappel),
            n(row.n_cum_dose1),
            n(row.n_cum_complet),
            n(row.n_cum_rappel),
            r(row.couv_dose1),
            r(row.couv_complet),
            r(row.couv_rappel),
        );
    }
    out
}
