//! The medical rules of a dose, as pure functions: its rank from history, whether it is a
//! booster, and the warnings that need an explicit confirmation (interval too short, product
//! mixing within the primary series, age outside the product's indication, product advised
//! against at that age).

use crate::api::vaccination::{Warning, WarningCode};
use crate::vaccines::{self as catalogue, RECOMMENDATION_SOURCE};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// A valid earlier dose, as the rules need it.
#[derive(Debug, Clone)]
pub struct PastDose {
    pub product_code: String,
    pub administered_at: DateTime<Utc>,
    pub booster: bool,
}

/// The product about to be given.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub doses_in_schedule: i32,
    pub min_interval_days: i32,
    pub min_age_years: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoseRank {
    /// DCC `dn`: this dose's number.
    pub number: i32,
    /// DCC `sd`: doses in the series (for a booster: the same as `number`).
    pub series: i32,
    pub booster: bool,
}

/// Rank from the valid earlier doses: within the primary schedule while it is incomplete,
/// then boosters. The schedule is that of the series' first product.
pub fn rank(
    history: &[PastDose],
    first_product_doses: Option<i32>,
    candidate: &Candidate,
) -> DoseRank {
    let number = history.len() as i32 + 1;
    let schedule = first_product_doses
        .unwrap_or(candidate.doses_in_schedule)
        .max(1);
    if number <= schedule {
        DoseRank {
            number,
            series: schedule,
            booster: false,
        }
    } else {
        DoseRank {
            number,
            series: number,
            booster: true,
        }
    }
}

/// Full years of age on a day.
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> i32 {
    let mut years = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

pub fn warnings(
    history: &[PastDose],
    candidate: &Candidate,
    rank: &DoseRank,
    birth: NaiveDate,
    at: DateTime<Utc>,
) -> Vec<Warning> {
    let mut out = Vec::new();
    if let Some(last) = history.iter().max_by_key(|d| d.administered_at) {
        let days = (at - last.administered_at).num_days();
        if !rank.booster && days < i64::from(candidate.min_interval_days) {
            out.push(Warning {
                code: WarningCode::IntervalTooShort,
                message: format!(
                    "Intervalle trop court : {days} jour(s) depuis la dernière injection, {} au minimum pour {}.",
                    candidate.min_interval_days, candidate.name
                ),
            });
        } else if rank.booster && days < 90 {
            out.push(Warning {
                code: WarningCode::IntervalTooShort,
                message: format!(
                    "Intervalle trop court pour un rappel : {days} jour(s) depuis la dernière injection, 3 mois recommandés."
                ),
            });
        }
    }
    if !rank.booster
        && let Some(other) = history
            .iter()
            .find(|d| !d.booster && d.product_code != candidate.code)
    {
        out.push(Warning {
            code: WarningCode::ProductMixing,
            message: format!(
                "Schéma mixte : la primo-vaccination a commencé avec un autre vaccin ({}).",
                other.product_code
            ),
        });
    }
    // On the injection's day in Paris, as the dates are judged.
    let age = age_on(birth, crate::paris::from_utc(at).date());
    if age < candidate.min_age_years {
        out.push(Warning {
            code: WarningCode::AgeOutsideIndication,
            message: format!(
                "Âge hors indication : {age} an(s), {} indiqué à partir de {} ans.",
                candidate.name, candidate.min_age_years
            ),
        });
    }
    let band = catalogue::recommendation_for(age);
    if band.advised_against.contains(&candidate.code) {
        let ages = match (band.from_years, band.until_years) {
            (0, Some(until)) => format!("avant {until} ans"),
            (from, Some(until)) => format!("entre {from} et {until} ans"),
            (from, None) => format!("à partir de {from} ans"),
        };
        let instead: Vec<&str> = band
            .proposed
            .iter()
            .filter_map(|code| catalogue::product(code))
            .map(|p| p.name)
            .collect();
        out.push(Warning {
            code: WarningCode::NotRecommendedForAge,
            message: format!(
                "Vaccin non recommandé à cet âge : {age} an(s), {} n'est pas recommandé {ages} \
                 ({RECOMMENDATION_SOURCE}), {} est à privilégier.",
                candidate.name,
                instead.join(" ou ")
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 10, 0, 0)
            .single()
            .expect("valid date")
    }

    const COMIRNATY: Candidate = Candidate {
        code: "comirnaty",
        name: "Comirnaty",
        doses_in_schedule: 2,
        min_interval_days: 21,
        min_age_years: 5,
    };

    fn past(code: &str, at: DateTime<Utc>, booster: bool) -> PastDose {
        PastDose {
            product_code: code.into(),
            administered_at: at,
            booster,
        }
    }

    #[test]
    fn ranks_follow_the_first_products_schedule_then_boosters() {
        assert_eq!(
            rank(&[], None, &COMIRNATY),
            DoseRank {
                number: 1,
                series: 2,
                booster: false
            }
        );
        let one = [past("comirnaty", day(2026, 1, 1), false)];
        assert_eq!(
            rank(&one, Some(2), &COMIRNATY),
            DoseRank {
                number: 2,
                series: 2,
                booster: false
            }
        );
        let two = [one[0].clone(), past("comirnaty", day(2026, 2, 1), false)];
        assert_eq!(
            rank(&two, Some(2), &COMIRNATY),
            DoseRank {
                number: 3,
                series: 3,
                booster: true
            }
        );
        // A single-dose product as the first: the second dose is a booster.
        let jcovden = [past("jcovden", day(2026, 1, 1), false)];
        assert!(rank(&jcovden, Some(1), &COMIRNATY).booster);
    }

    #[test]
    fn interval_mixing_and_age_warnings() {
        let birth = NaiveDate::from_ymd_opt(1955, 8, 14).expect("date");
        let one = [past("spikevax", day(2026, 1, 1), false)];
        let r = rank(&one, Some(2), &COMIRNATY);
        let w = warnings(&one, &COMIRNATY, &r, birth, day(2026, 1, 15));
        let codes: Vec<_> = w.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            vec![WarningCode::IntervalTooShort, WarningCode::ProductMixing]
        );
        // 21 days exactly: the interval is respected.
        let same = [past("comirnaty", day(2026, 1, 1), false)];
        assert!(warnings(&same, &COMIRNATY, &r, birth, day(2026, 1, 22)).is_empty());
        // A 4-year-old for a product indicated from 5.
        let child = NaiveDate::from_ymd_opt(2021, 6, 1).expect("date");
        let w = warnings(
            &[],
            &COMIRNATY,
            &rank(&[], None, &COMIRNATY),
            child,
            day(2026, 5, 31),
        );
        assert_eq!(w[0].code, WarningCode::AgeOutsideIndication);
        // …who turns 5 the next day.
        assert!(
            warnings(
                &[],
                &COMIRNATY,
                &rank(&[], None, &COMIRNATY),
                child,
                day(2026, 6, 1)
            )
            .is_empty()
        );
    }

    const SPIKEVAX: Candidate = Candidate {
        code: "spikevax",
        name: "Spikevax",
        doses_in_schedule: 2,
        min_interval_days: 28,
        min_age_years: 12,
    };

    #[test]
    fn spikevax_is_advised_against_until_30() {
        let birth = NaiveDate::from_ymd_opt(1996, 6, 1).expect("date");
        let first = rank(&[], None, &SPIKEVAX);
        // 29 the day before the 30th birthday…
        let w = warnings(&[], &SPIKEVAX, &first, birth, day(2026, 5, 31));
        assert_eq!(
            w.iter().map(|w| w.code).collect::<Vec<_>>(),
            vec![WarningCode::NotRecommendedForAge]
        );
        assert!(w[0].message.contains("avant 30 ans"), "{}", w[0].message);
        assert!(w[0].message.contains("8 novembre 2021"), "{}", w[0].message);
        assert!(w[0].message.contains("Comirnaty"), "{}", w[0].message);
        // …30 on the day; Comirnaty at any age from 5.
        assert!(warnings(&[], &SPIKEVAX, &first, birth, day(2026, 6, 1)).is_empty());
        assert!(warnings(&[], &COMIRNATY, &first, birth, day(2026, 5, 31)).is_empty());
    }

    #[test]
    fn age_counts_full_years() {
        let birth = NaiveDate::from_ymd_opt(2000, 2, 29).expect("date");
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 2, 28).expect("d")),
            25
        );
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 3, 1).expect("d")),
            26
        );
    }
}
