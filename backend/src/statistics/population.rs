//! The population denominators of the coverage rates, shipped with the project:
//! `backend/data/population.csv` (its header says where every figure comes from).
//!
//! Source: Santé publique France, VAC-SI open data ("Données relatives aux personnes vaccinées
//! contre la Covid-19", data.gouv.fr), files `vacsi-tot-a-fra-2023-07-13-15h50.csv` and
//! `vacsi-tot-a-dep-2023-07-13-15h50.csv`, column `pop`: INSEE population estimates at
//! 1 January 2022, by department of residence and vacsi age class. Licence Ouverte 2.0.

use std::{collections::HashMap, sync::LazyLock};

/// What the JSON files say of their denominators.
pub const SOURCE: &str = "Insee, estimations de population au 1er janvier 2022, par département et classe d'âge, telles que publiées par Santé publique France (VAC-SI, fichiers vacsi-tot-a-fra et vacsi-tot-a-dep du 13 juillet 2023, colonne pop).";

const CSV: &str = include_str!("../../data/population.csv");

/// (geography, index in `AGE_CLASSES`) → population; and the departments, in file order.
type Table = (HashMap<(String, usize), f64>, Vec<String>);

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut table = HashMap::new();
    let mut departments = Vec::new();
    for line in CSV
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
    {
        let mut f = line.split(';');
        let (Some(geo), Some(class), Some(pop)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let Some(ci) = vigie_shared::api::statistics::AGE_CLASSES
            .iter()
            .position(|c| *c == class)
        else {
            continue;
        };
        let Ok(pop) = pop.trim().parse::<f64>() else {
            continue;
        };
        if geo != super::FRANCE && !departments.iter().any(|d| d == geo) {
            departments.push(geo.to_owned());
        }
        table.insert((geo.to_owned(), ci), pop);
    }
    (table, departments)
});

/// The population of a geography (`FR` or a department) in an age class (index in
/// `AGE_CLASSES`, 0 = all ages), if the table has it.
pub fn of(geo: &str, class: usize) -> Option<f64> {
    TABLE.0.get(&(geo.to_owned(), class)).copied()
}

/// The departments of the table, in file order.
pub fn departments() -> impl Iterator<Item = &'static str> {
    TABLE.1.iter().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_is_complete_and_adds_up() {
        assert_eq!(departments().count(), 103);
        assert_eq!(of("FR", 0), Some(67_863_570.0));
        assert_eq!(of("75", 0), Some(2_139_907.0));
        for d in departments() {
            let total = of(d, 0).expect("all ages");
            let sum: f64 = (1..15).map(|c| of(d, c).expect("every class")).sum();
            assert!((total - sum).abs() < 1.0, "{d}: {total} vs {sum}");
        }
        // The departments 01–976 add up to INSEE's estimate at 1 January 2022.
        let france: f64 = departments()
            .filter(|d| *d != "977" && *d != "978")
            .map(|d| of(d, 0).expect("all ages"))
            .sum();
        assert_eq!(france.round() as i64, 67_813_396);
    }
}
