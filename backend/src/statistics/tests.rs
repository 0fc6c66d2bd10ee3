//! Suppression and rounding on crafted data; age classes and dose kinds.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::{
    Counts, age_class, age_on, kinds,
    publish::{self, Level, increase, suppress},
};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 3, d).expect("date")
}

#[test]
fn classes_kinds_and_ages() {
    let expected = [
        (0, 4),
        (4, 4),
        (5, 9),
        (10, 11),
        (11, 11),
        (12, 17),
        (18, 24),
        (25, 29),
        (30, 39),
        (59, 59),
        (60, 64),
        (65, 69),
        (79, 79),
        (80, 80),
        (104, 80),
    ];
    for (age, class) in expected {
        assert_eq!(age_class(age), class, "age {age}");
    }
    let birth = NaiveDate::from_ymd_opt(1955, 8, 20).expect("date");
    assert_eq!(
        age_on(birth, NaiveDate::from_ymd_opt(2021, 8, 19).expect("d")),
        65
    );
    assert_eq!(
        age_on(birth, NaiveDate::from_ymd_opt(2021, 8, 20).expect("d")),
        66
    );
    assert_eq!(kinds(1, 2, false), [1, 0, 0]);
    assert_eq!(kinds(2, 2, false), [0, 1, 0]);
    // A single-dose product: first dose and complete schedule at once.
    assert_eq!(kinds(1, 1, false), [1, 1, 0]);
    assert_eq!(kinds(3, 2, true), [0, 0, 1]);
    assert_eq!(kinds(2, 3, false), [0, 0, 0]);
}

#[test]
fn under_eleven_blank_others_rounded_to_ten() {
    for n in 0..11 {
        assert_eq!(suppress(n), None, "{n}");
    }
    for (n, r) in [
        (11, 10),
        (14, 10),
        (15, 20),
        (24, 20),
        (25, 30),
        (1234, 1230),
        (1235, 1240),
    ] {
        assert_eq!(suppress(n), Some(r), "{n}");
    }
    assert_eq!(increase(Some(0), Some(30)), Some(30));
    assert_eq!(increase(None, Some(30)), None);
    assert_eq!(increase(Some(20), Some(30)), None);
    assert_eq!(increase(Some(20), Some(40)), Some(20));
}

/// One kind (first doses) in the classes given, the others zero.
fn counts(days: &[(u32, &[(usize, u64)])]) -> Counts {
    let mut c = Counts::new();
    for (d, cells) in days {
        let e = c.entry(day(*d)).or_default();
        for (class, n) in *cells {
            e[*class][0] = *n;
        }
    }
    c
}

#[test]
fn a_crafted_national_file() {
    let days = [day(1), day(2), day(3)];
    // Class index 5 = `29`, 6 = `39`.
    let c = counts(&[
        (1, &[(5, 7), (6, 40)]),
        (2, &[(5, 6)]),
        (3, &[(5, 30), (6, 3)]),
    ]);
    let rows = publish::file(Level::National, "FR", &days, &c, None);
    assert_eq!(rows.len(), 15 * 3);
    let row = |class: &str, d: u32| {
        rows.iter()
            .find(|r| r.clage_vacsi == class && r.jour == day(d))
            .expect("row")
    };
    // 25–29: 7, 6, 30 → cumulative 7 (blank), 13 (10), 43 (40).
    let r = row("29", 1);
    assert_eq!((r.n_dose1, r.n_cum_dose1), (None, None));
    let r = row("29", 2);
    assert_eq!((r.n_dose1, r.n_cum_dose1), (None, Some(10)));
    let r = row("29", 3);
    assert_eq!((r.n_dose1, r.n_cum_dose1), (Some(30), Some(40)));
    // 30–39: 40, 0, 3 → cumulative 40, 40, 43 (40): days 2 and 3 blank.
    assert_eq!(row("39", 1).n_dose1, Some(40));
    assert_eq!(row("39", 2).n_dose1, None);
    assert_eq!(row("39", 3).n_cum_dose1, Some(40));
    // All ages: sums of the published classes.
    assert_eq!(row("0", 1).n_cum_dose1, Some(40));
    assert_eq!(row("0", 2).n_cum_dose1, Some(50));
    assert_eq!(row("0", 3).n_cum_dose1, Some(80));
    assert_eq!(row("0", 1).n_dose1, Some(40));
    assert_eq!(row("0", 2).n_dose1, None);
    assert_eq!(row("0", 3).n_dose1, Some(30));
    // The all-ages row on day 2 minus its classes gives back published figures only.
    assert_eq!(
        row("0", 2).n_cum_dose1,
        Some(row("29", 2).n_cum_dose1.unwrap_or(0) + row("39", 2).n_cum_dose1.unwrap_or(0))
    );
    // Coverage: on true counts, only where the count is published; FR populations are large.
    assert_eq!(row("29", 1).couv_dose1, None);
    let pop = super::population::of("FR", 6).expect("FR 30–39");
    assert_eq!(
        row("39", 3).couv_dose1,
        Some((1000.0 * 43.0 / pop).round() / 10.0)
    );
    assert_eq!(row("04", 3).n_cum_dose1, None);
    assert_eq!(row("04", 3).couv_dose1, None);

    let text = publish::csv(Level::National, &rows);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(vigie_shared::api::statistics::NATIONAL_CSV_HEADER)
    );
    assert_eq!(lines.next(), Some("FR;0;2021-03-01;40;;;40;;;0.0;;"));
}

#[test]
fn no_rate_for_small_populations() {
    let days = [day(1)];
    let c = counts(&[(1, &[(0, 500)])]);
    // 48 (Lozère), 0–4 years: 3 072 people.
    let rows = publish::file(Level::Department, "48", &days, &c, Some(1));
    assert_eq!(rows[0].n_cum_dose1, Some(500));
    assert_eq!(rows[0].couv_dose1, None);
    // An unknown department: no population, no rate.
    let rows = publish::file(Level::Department, "99", &days, &c, Some(1));
    assert_eq!(rows[0].couv_dose1, None);
}

/// Every input of two classes × two days (0–14 each, first doses) is published; inputs that give
/// the same file are indistinguishable to its reader. For every blank cell, and for every true
/// count under 11, the inputs giving that file must disagree on that count: no suppressed
/// count is recovered, by subtraction or otherwise, from one file.
#[test]
fn no_suppressed_count_can_be_recovered_from_one_file() {
    let days = [day(1), day(2)];
    type Truth = Vec<(String, NaiveDate, [u64; 2])>;
    let mut groups: BTreeMap<String, Vec<Truth>> = BTreeMap::new();
    for a1 in 0..15u64 {
        for a2 in 0..15u64 {
            for b1 in 0..15u64 {
                for b2 in 0..15u64 {
                    // Classes `24` (index 4) and `29` (index 5).
                    let c = counts(&[(1, &[(4, a1), (5, b1)]), (2, &[(4, a2), (5, b2)])]);
                    let rows = publish::file(Level::National, "FR", &days, &c, None);
                    let text = publish::csv(Level::National, &rows)
                        .lines()
                        .map(|l| l.rsplitn(4, ';').last().unwrap_or_default().to_owned())
                        .collect::<Vec<_>>()
                        .join("\n");
                    let truth: Truth = vec![
                        ("24".into(), day(1), [a1, a1]),
                        ("24".into(), day(2), [a2, a1 + a2]),
                        ("29".into(), day(1), [b1, b1]),
                        ("29".into(), day(2), [b2, b1 + b2]),
                        ("0".into(), day(1), [a1 + b1, a1 + b1]),
                        ("0".into(), day(2), [a2 + b2, a1 + a2 + b1 + b2]),
                    ];
                    groups.entry(text).or_default().push(truth);
                }
            }
        }
    }
    let mut checked = 0;
    for (text, members) in &groups {
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split(';').collect())
            .collect();
        for (i, (class, d, _)) in members[0].iter().enumerate() {
            let row = rows
                .iter()
                .find(|r| r[1] == class && r[2] == d.format("%Y-%m-%d").to_string())
                .expect("row");
            for (col, field) in [(0usize, 3usize), (1, 6)] {
                let values: BTreeSet<u64> = members.iter().map(|m| m[i].2[col]).collect();
                let blank = row[field].is_empty();
                let small = values.iter().any(|v| *v < 11);
                if blank || small {
                    checked += 1;
                    assert!(
                        values.len() >= 2,
                        "class {class} {d} column {field}: always {values:?} in\n{text}"
                    );
                }
                if values.iter().all(|v| *v < 11) {
                    assert!(blank, "a count under 11 published: {row:?}");
                }
            }
        }
    }
    assert!(checked > 200, "{checked}");
}
