//! The professional directory, filled from a CSV export (semicolon-separated, UTF-8, header
//! line) with these columns:
//!
//! `rpps;civilite;prenom;nom;profession;email;mobile;finess`
//!
//! `finess` lists the structures where the professional practises, separated by `|` (each must
//! already be known). Rows are upserted by RPPS, so importing the same file twice changes
//! nothing; a malformed row is reported with its line number and skipped.

pub mod hours;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use serde::Deserialize;
use uuid::Uuid;
use vigie_shared::{Finess, Rpps};

use crate::entities::{practice, professional, structure};

#[derive(Debug, Deserialize)]
struct Row {
    rpps: String,
    civilite: String,
    prenom: String,
    nom: String,
    profession: String,
    email: String,
    mobile: String,
    finess: String,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    /// (line, French reason)
    pub skipped: Vec<(usize, String)>,
}

pub async fn import(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    csv_text: &str,
) -> Result<Report, sea_orm::DbErr> {
    let mut report = Report::default();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    for (i, record) in reader.deserialize::<Row>().enumerate() {
        let line = i + 2; // 1-based, after the header
        let row = match record {
            Ok(r) => r,
            Err(e) => {
                report
                    .skipped
                    .push((line, format!("ligne illisible ({e})")));
                continue;
            }
        };
        let rpps = match Rpps::parse(&row.rpps) {
            Ok(r) => r,
            Err(e) => {
                report.skipped.push((line, e.to_string()));
                continue;
            }
        };
        if row.nom.is_empty() || row.prenom.is_empty() {
            report
                .skipped
                .push((line, "nom et prénom obligatoires".into()));
            continue;
        }
        let mut structures = Vec::new();
        for f in row
            .finess
            .split('|')
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            match Finess::parse(f) {
                Ok(f) => match structure::Entity::find()
                    .filter(structure::Column::Finess.eq(f.as_str()))
                    .one(db)
                    .await?
                {
                    Some(s) => structures.push(s.id),
                    None => report.skipped.push((
                        line,
                        format!("FINESS {} inconnu : lieu d'exercice ignoré", f.as_str()),
                    )),
                },
                Err(e) => report
                    .skipped
                    .push((line, format!("{e} : lieu d'exercice ignoré"))),
            }
        }
        let opt = |s: String| Some(s).filter(|s| !s.is_empty());
        let existing = professional::Entity::find()
            .filter(professional::Column::Rpps.eq(rpps.as_str()))
            .one(db)
            .await?;
        let id = match existing {
            Some(p) => {
                let id = p.id;
                let mut a = p.into_active_model();
                a.civility = Set(row.civilite);
                a.first_name = Set(row.prenom);
                a.last_name = Set(row.nom);
                a.profession = Set(row.profession);
                a.email = Set(opt(row.email));
                a.mobile = Set(opt(row.mobile));
                a.update(db).await?;
                report.updated += 1;
                id
            }
            None => {
                let id = Uuid::new_v4();
                professional::ActiveModel {
                    id: Set(id),
                    national_id: Set(rpps.national_id().as_str().into()),
                    rpps: Set(rpps.as_str().into()),
                    civility: Set(row.civilite),
                    first_name: Set(row.prenom),
                    last_name: Set(row.nom),
                    profession: Set(row.profession),
                    email: Set(opt(row.email)),
                    mobile: Set(opt(row.mobile)),
                    created_at: Set(now),
                }
                .insert(db)
                .await?;
                report.created += 1;
                id
            }
        };
        for structure_id in structures {
            practice::Entity::insert(practice::ActiveModel {
                professional_id: Set(id),
                structure_id: Set(structure_id),
            })
            .on_conflict_do_nothing_on([
                practice::Column::ProfessionalId,
                practice::Column::StructureId,
            ])
            .exec(db)
            .await?;
        }
    }
    Ok(report)
}
