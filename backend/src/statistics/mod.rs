//! Open data: vaccination counts per day × department of residence × age class × dose kind ×
//! product, kept up to date in the transaction that records, corrects or invalidates an
//! injection, and published in the layout of Santé publique France's "vacsi" files.
//!
//! - Writes add or subtract one (`Tally`: a reaction to the unit of work's events, written once
//!   for a whole batch of writes) in two tables: `statistic_detail` (day × department × age
//!   class × product) and `statistic_daily` (geography `FR` or department × day × age class, all products). An
//!   injection that is neither a first dose, nor completes a schedule, nor a booster writes
//!   nothing.
//! - Reads (`national`, `departments`) only read `statistic_daily`: a file costs its number of
//!   rows (days × age classes × departments asked), whatever the number of injections.
//! - What leaves, and the small-count rules: [`publish`].
//!
//! Day: the Europe/Paris date of administration. Age: full years on that day. Dose kinds: first
//! dose (`dose_number == 1`, not a booster), complete schedule (`dose_number == series_doses`,
//! not a booster; a single-dose product's injection is both), booster. Only valid injections
//! count (an invalidated one is subtracted).

pub mod population;
pub mod publish;
pub mod tables;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use chrono_tz::Europe::Paris;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use crate::{
    entities::{injection, patient},
    error::{AppError, AppResult},
};
use tables::{daily, detail};

/// The geography of the national rows.
pub const FRANCE: &str = "FR";

/// The age classes of the files, without `0` (all ages): upper bounds, `80` = 80 and over.
pub const CLASSES: [i16; 14] = [4, 9, 11, 17, 24, 29, 39, 49, 59, 64, 69, 74, 79, 80];

/// The class of an age in full years.
pub fn age_class(age: i32) -> i16 {
    CLASSES
        .iter()
        .copied()
        .find(|&upper| age <= i32::from(upper))
        .unwrap_or(80)
}

/// Age in full years on `day` (born 29 February: a year older on 1 March in common years).
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> i32 {
    let mut age = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    Ord::max(age, 0)
}

/// `[first dose, complete schedule, booster]`, each 0 or 1.
pub fn kinds(dose_number: i32, series_doses: i32, booster: bool) -> [i64; 3] {
    [
        i64::from(dose_number == 1 && !booster),
        i64::from(dose_number == series_doses && !booster),
        i64::from(booster),
    ]
}

/// Where one injection counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    pub day: NaiveDate,
    pub department: String,
    pub age_class: i16,
    pub product_id: Uuid,
}

/// The cell and the kinds of a valid injection of a patient (`None`: it counts nowhere).
pub fn cell_of(
    birth: NaiveDate,
    department: &str,
    i: &injection::Model,
) -> Option<(Cell, [i64; 3])> {
    cell_of_dose(
        birth,
        department,
        &Counted {
            status: sea_orm::ActiveEnum::to_value(&i.status),
            dose_number: i.dose_number,
            series_doses: i.series_doses,
            booster: i.booster,
            administered_at: i.administered_at,
            product_id: i.product_id,
        },
    )
}

/// What the counts read of an injection. The backfill of migration 5 runs before later
/// migrations add columns, so it must not select whole rows.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct Counted {
    pub status: String,
    pub dose_number: i32,
    pub series_doses: i32,
    pub booster: bool,
    pub administered_at: chrono::DateTime<chrono::Utc>,
    pub product_id: Uuid,
}

fn cell_of_dose(birth: NaiveDate, department: &str, i: &Counted) -> Option<(Cell, [i64; 3])> {
    if i.status == "invalidated" {
        return None;
    }
    let k = kinds(i.dose_number, i.series_doses, i.booster);
    if k == [0, 0, 0] {
        return None;
    }
    let day = i.administered_at.with_timezone(&Paris).date_naive();
    Some((
        Cell {
            day,
            department: department.to_owned(),
            age_class: age_class(age_on(birth, day)),
            product_id: i.product_id,
        },
        k,
    ))
}

fn increments<C: sea_orm::ColumnTrait + Copy>(
    table: impl sea_orm::sea_query::Iden + Copy + 'static,
    keys: &[C],
    counts: [C; 3],
) -> OnConflict {
    let mut on = OnConflict::columns(keys.iter().copied());
    for c in counts {
        on.value(
            c,
            Expr::col((table, c)).add(Expr::col((Alias::new("excluded"), c))),
        );
    }
    on
}

/// Changes to the counts, added up over one write or a whole batch of them and then written in
/// two statements (one per table), whatever the number of injections: a batch of vaccinations
/// at one hall on one day touches a handful of cells.
#[derive(Debug, Default)]
pub struct Tally(BTreeMap<Cell, [i64; 3]>);

impl Tally {
    /// A new injection of this patient (same transaction as its insert).
    pub fn recorded(&mut self, p: &patient::Model, i: &injection::Model) {
        self.add(p.birth_date, &p.residence_department, i, 1);
    }

    /// An injection changed (same transaction as its update): moved if its cell changed.
    pub async fn corrected(
        &mut self,
        db: &impl ConnectionTrait,
        before: &injection::Model,
        after: &injection::Model,
    ) -> AppResult<()> {
        if before.administered_at == after.administered_at
            && before.status == after.status
            && before.product_id == after.product_id
        {
            return Ok(());
        }
        let p = patient_of(db, before).await?;
        self.add(p.birth_date, &p.residence_department, before, -1);
        self.add(p.birth_date, &p.residence_department, after, 1);
        Ok(())
    }

    /// A valid injection invalidated (same transaction): `before` is the row as it was.
    pub async fn invalidated(
        &mut self,
        db: &impl ConnectionTrait,
        before: &injection::Model,
    ) -> AppResult<()> {
        let p = patient_of(db, before).await?;
        self.add(p.birth_date, &p.residence_department, before, -1);
        Ok(())
    }

    /// Adds another write's changes to these.
    pub fn merge(&mut self, other: Tally) {
        for (cell, k) in other.0 {
            let sum = self.0.entry(cell).or_default();
            for (s, n) in sum.iter_mut().zip(k) {
                *s += n;
            }
        }
    }

    /// Adds `sign` (±1) times the injection's kinds to its cell.
    fn add(&mut self, birth: NaiveDate, department: &str, i: &injection::Model, sign: i64) {
        if let Some((cell, k)) = cell_of(birth, department, i) {
            self.merge(Tally(BTreeMap::from([(cell, k.map(|n| n * sign))])));
        }
    }

    /// Writes the changes (cells whose changes cancel out are left alone).
    pub async fn write(self, db: &impl ConnectionTrait) -> AppResult<()> {
        use sea_orm::ActiveValue::Set;
        let changed: Vec<(Cell, [i64; 3])> =
            self.0.into_iter().filter(|(_, k)| *k != [0; 3]).collect();
        let mut days: BTreeMap<(&str, NaiveDate, i16), [i64; 3]> = BTreeMap::new();
        for (cell, k) in &changed {
            for geo in [FRANCE, cell.department.as_str()] {
                let sum = days.entry((geo, cell.day, cell.age_class)).or_default();
                for (s, n) in sum.iter_mut().zip(k) {
                    *s += n;
                }
            }
        }
        // A statement's parameters are bounded (SQLite: 32 766); seven a row.
        for chunk in changed.chunks(1000) {
            let rows = chunk.iter().map(|(cell, [d1, c, r])| detail::ActiveModel {
                day: Set(cell.day),
                department: Set(cell.department.clone()),
                age_class: Set(cell.age_class),
                product_id: Set(cell.product_id),
                n_dose1: Set(*d1),
                n_complet: Set(*c),
                n_rappel: Set(*r),
            });
            detail::Entity::insert_many(rows)
                .on_conflict(increments(
                    detail::Entity,
                    &[
                        detail::Column::Day,
                        detail::Column::Department,
                        detail::Column::AgeClass,
                        detail::Column::ProductId,
                    ],
                    [
                        detail::Column::NDose1,
                        detail::Column::NComplet,
                        detail::Column::NRappel,
                    ],
                ))
                .exec_without_returning(db)
                .await?;
        }
        let days: Vec<_> = days.into_iter().filter(|(_, k)| *k != [0; 3]).collect();
        for chunk in days.chunks(1000) {
            let rows = chunk
                .iter()
                .map(|((geo, day, age_class), [d1, c, r])| daily::ActiveModel {
                    geo: Set((*geo).to_owned()),
                    day: Set(*day),
                    age_class: Set(*age_class),
                    n_dose1: Set(*d1),
                    n_complet: Set(*c),
                    n_rappel: Set(*r),
                });
            daily::Entity::insert_many(rows)
                .on_conflict(increments(
                    daily::Entity,
                    &[
                        daily::Column::Geo,
                        daily::Column::Day,
                        daily::Column::AgeClass,
                    ],
                    [
                        daily::Column::NDose1,
                        daily::Column::NComplet,
                        daily::Column::NRappel,
                    ],
                ))
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }
}

async fn patient_of(db: &impl ConnectionTrait, i: &injection::Model) -> AppResult<patient::Model> {
    patient::Entity::find_by_id(i.patient_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("injection of an unknown patient"))
}

/// The detailed counts recomputed from the raw tables (valid injections and their patients);
/// cells that count nothing are absent.
pub async fn recount(db: &impl ConnectionTrait) -> AppResult<BTreeMap<Cell, [i64; 3]>> {
    // Only the columns counted: the backfill of migration 5 runs before later ones add others.
    #[derive(sea_orm::FromQueryResult)]
    struct Person {
        id: Uuid,
        birth_date: NaiveDate,
        residence_department: String,
    }
    let patients: std::collections::HashMap<Uuid, (NaiveDate, String)> = patient::Entity::find()
        .select_only()
        .columns([
            patient::Column::Id,
            patient::Column::BirthDate,
            patient::Column::ResidenceDepartment,
        ])
        .into_model::<Person>()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, (p.birth_date, p.residence_department)))
        .collect();
    let mut out: BTreeMap<Cell, [i64; 3]> = BTreeMap::new();
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        patient_id: Uuid,
        #[sea_orm(nested)]
        dose: Counted,
    }
    use injection::Column as C;
    for i in injection::Entity::find()
        .select_only()
        .columns([
            C::PatientId,
            C::Status,
            C::DoseNumber,
            C::SeriesDoses,
            C::Booster,
            C::AdministeredAt,
            C::ProductId,
        ])
        .filter(C::Status.ne("invalidated"))
        .into_model::<Row>()
        .all(db)
        .await?
    {
        let (birth, dep) = patients
            .get(&i.patient_id)
            .ok_or_else(|| AppError::internal("injection of an unknown patient"))?;
        if let Some((cell, k)) = cell_of_dose(*birth, dep, &i.dose) {
            let e = out.entry(cell).or_default();
            for (e, k) in e.iter_mut().zip(k) {
                *e += k;
            }
        }
    }
    Ok(out)
}

/// The stored detailed counts; all-zero rows (everything subtracted) are left out.
pub async fn stored(db: &impl ConnectionTrait) -> AppResult<BTreeMap<Cell, [i64; 3]>> {
    Ok(detail::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|r| [r.n_dose1, r.n_complet, r.n_rappel] != [0, 0, 0])
        .map(|r| {
            (
                Cell {
                    day: r.day,
                    department: r.department,
                    age_class: r.age_class,
                    product_id: r.product_id,
                },
                [r.n_dose1, r.n_complet, r.n_rappel],
            )
        })
        .collect())
}

/// Key of `statistic_daily`: geography, day, age class.
pub type DailyKey = (String, NaiveDate, i16);

/// What `statistic_daily` must hold for these detailed counts: per department and for `FR`.
pub fn roll_up(detail: &BTreeMap<Cell, [i64; 3]>) -> BTreeMap<DailyKey, [i64; 3]> {
    let mut out: BTreeMap<DailyKey, [i64; 3]> = BTreeMap::new();
    for (cell, k) in detail {
        for geo in [FRANCE, cell.department.as_str()] {
            let e = out
                .entry((geo.to_owned(), cell.day, cell.age_class))
                .or_default();
            for (e, k) in e.iter_mut().zip(k) {
                *e += k;
            }
        }
    }
    out
}

/// The stored `statistic_daily`, all-zero rows left out.
pub async fn stored_daily(db: &impl ConnectionTrait) -> AppResult<BTreeMap<DailyKey, [i64; 3]>> {
    Ok(daily::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|r| [r.n_dose1, r.n_complet, r.n_rappel] != [0, 0, 0])
        .map(|r| {
            (
                (r.geo, r.day, r.age_class),
                [r.n_dose1, r.n_complet, r.n_rappel],
            )
        })
        .collect())
}

/// Recomputes both tables from the raw ones (the migration's backfill; a repair tool).
pub async fn rebuild(db: &impl ConnectionTrait) -> AppResult<()> {
    detail::Entity::delete_many().exec(db).await?;
    daily::Entity::delete_many().exec(db).await?;
    let cells = recount(db).await?;
    store(db, &cells).await
}

/// Inserts these detailed counts and their roll-up into empty tables, in batches.
pub async fn store(db: &impl ConnectionTrait, cells: &BTreeMap<Cell, [i64; 3]>) -> AppResult<()> {
    use sea_orm::ActiveValue::Set;
    let rows: Vec<detail::ActiveModel> = cells
        .iter()
        .map(|(c, [d1, cp, r])| detail::ActiveModel {
            day: Set(c.day),
            department: Set(c.department.clone()),
            age_class: Set(c.age_class),
            product_id: Set(c.product_id),
            n_dose1: Set(*d1),
            n_complet: Set(*cp),
            n_rappel: Set(*r),
        })
        .collect();
    for chunk in rows.chunks(500) {
        detail::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let rows: Vec<daily::ActiveModel> = roll_up(cells)
        .into_iter()
        .map(|((geo, day, age_class), [d1, cp, r])| daily::ActiveModel {
            geo: Set(geo),
            day: Set(day),
            age_class: Set(age_class),
            n_dose1: Set(d1),
            n_complet: Set(cp),
            n_rappel: Set(r),
        })
        .collect();
    for chunk in rows.chunks(500) {
        daily::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// True daily counts of one geography: per day, per class (index in [`CLASSES`]), per kind.
pub type Counts = BTreeMap<NaiveDate, [[u64; 3]; 14]>;

fn class_index(age_class: i16) -> Option<usize> {
    CLASSES.iter().position(|&c| c == age_class)
}

/// Reads `statistic_daily` for these geographies (`None`: every department, not `FR`).
async fn read(db: &impl ConnectionTrait, geo: Option<&str>) -> AppResult<BTreeMap<String, Counts>> {
    let mut q = daily::Entity::find();
    q = match geo {
        Some(g) => q.filter(daily::Column::Geo.eq(g)),
        None => q.filter(daily::Column::Geo.ne(FRANCE)),
    };
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    for r in q
        .order_by_asc(daily::Column::Geo)
        .order_by_asc(daily::Column::Day)
        .all(db)
        .await?
    {
        let Some(ci) = class_index(r.age_class) else {
            continue;
        };
        let e = out.entry(r.geo).or_default().entry(r.day).or_default();
        for (n, v) in [r.n_dose1, r.n_complet, r.n_rappel].into_iter().enumerate() {
            e[ci][n] += u64::try_from(v).unwrap_or(0);
        }
    }
    Ok(out)
}

/// The days every file covers: from the first to the last day with a count in France (the same
/// calendar for every department, so that a row's presence says nothing).
async fn calendar(db: &impl ConnectionTrait) -> AppResult<Vec<NaiveDate>> {
    let days: BTreeSet<NaiveDate> = daily::Entity::find()
        .filter(daily::Column::Geo.eq(FRANCE))
        .filter(
            daily::Column::NDose1
                .gt(0)
                .or(daily::Column::NComplet.gt(0))
                .or(daily::Column::NRappel.gt(0)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.day)
        .collect();
    // Campaign days only, whatever a row says (a day before the campaign cannot be recorded
    // now, but a file must stay bounded even if one was).
    let (Some(first), Some(last)) = (
        days.range(crate::injections::CAMPAIGN_START..).next(),
        days.last(),
    ) else {
        return Ok(Vec::new());
    };
    Ok(first.iter_days().take_while(|d| d <= last).collect())
}

/// Which age classes a file holds: all, or one (`0` = all ages, `04`…`80`).
pub fn parse_class(s: Option<&str>) -> AppResult<Option<usize>> {
    match s.map(str::trim) {
        None => Ok(None),
        // As written in the files (`04`, not `4`): the documented values only.
        Some(s) => vigie_shared::api::statistics::AGE_CLASSES
            .iter()
            .position(|c| *c == s)
            .map(Some)
            .ok_or_else(|| {
                AppError::with_message(
                    vigie_shared::ErrorCode::InvalidInput,
                    "Classe d'âge inconnue : 0, 04, 09, 11, 17, 24, 29, 39, 49, 59, 64, 69, 74, 79 ou 80.",
                )
            }),
    }
}

/// The national file (`fra` = `FR`).
pub async fn national(
    db: &impl ConnectionTrait,
    class: Option<usize>,
) -> AppResult<Vec<vigie_shared::api::statistics::StatisticsRow>> {
    let days = calendar(db).await?;
    let counts = read(db, Some(FRANCE)).await?;
    let empty = Counts::new();
    Ok(publish::file(
        publish::Level::National,
        FRANCE,
        &days,
        counts.get(FRANCE).unwrap_or(&empty),
        class,
    ))
}

/// The department file of one department. One at a time: a file holds a row a class a
/// campaign day, so its size is bounded by the campaign (`MAX_ROWS`), where all departments at
/// once would be a hundred times that.
pub async fn departments(
    db: &impl ConnectionTrait,
    department: Option<&str>,
    class: Option<usize>,
) -> AppResult<Vec<vigie_shared::api::statistics::StatisticsRow>> {
    let Some(department) = department
        .map(|d| d.trim().to_ascii_uppercase())
        .filter(|d| !d.is_empty())
    else {
        return Err(AppError::with_message(
            vigie_shared::ErrorCode::InvalidInput,
            "Précisez le département (dep=75, 2A, 971…) : les fichiers départementaux se \
             téléchargent un département à la fois.",
        ));
    };
    if department == FRANCE
        || department.len() < 2
        || department.len() > 3
        || !department.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(AppError::with_message(
            vigie_shared::ErrorCode::InvalidInput,
            "Département invalide : 2 chiffres (ou 2A/2B), 3 chiffres outre-mer (971…).",
        ));
    }
    let days = calendar(db).await?;
    let counts = read(db, Some(&department)).await?;
    let empty = Counts::new();
    Ok(publish::file(
        publish::Level::Department,
        &department,
        &days,
        counts.get(&department).unwrap_or(&empty),
        class,
    ))
}
