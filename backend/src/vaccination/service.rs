//! Recording vaccinations: patient lookup, dose preview, the one idempotent write of a
//! consultation and its injection, corrections within 24 h, adverse-effect declarations.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;
use vigie_shared::{
    ErrorCode, Nir, NirContext,
    api::vaccination::{
        AdverseEffectRecorded, ConsultationOutcome, ContestView, DosePreview, DosePreviewRequest,
        InjectionCorrection, InjectionRevisionView, InjectionSite, InjectionStatus, InjectionView,
        NewVaccination, PatientFile, PatientRef, PatientSummary, VaccinationRecorded, WarningCode,
    },
};

use super::{
    access::{self, Actor},
    rules::{self, Candidate, PastDose},
};
use crate::{
    audit::{self, Event},
    entities::{
        adverse_effect, consultation, injection, injection_revision, patient, patient_access,
        professional, staff_member, structure, vaccine_lot, vaccine_product,
    },
    error::{AppError, AppResult},
    idempotency,
    state::AppState,
};

/// Corrections and invalidations are open this long after the entry.
pub const CORRECTION_WINDOW: Duration = Duration::hours(24);
/// Clock drift tolerated between a tablet and the server for "now".
const FUTURE_TOLERANCE: Duration = Duration::minutes(5);
pub const ADVERSE_EFFECT_PORTAL: &str = "https://signalement.social-sante.gouv.fr/";

fn invalid(message: impl Into<String>) -> AppError {
    AppError::with_message(ErrorCode::InvalidInput, message)
}

/// "2 55 08 14 168 *** **": the first 10 characters grouped as on a Carte Vitale, the rest hidden.
pub fn mask_nir(nir: &str) -> String {
    let head: String = nir.chars().take(10).collect();
    if head.len() < 10 {
        return "***".into();
    }
    format!(
        "{} {} {} {} {} *** **",
        &head[0..1],
        &head[1..3],
        &head[3..5],
        &head[5..7],
        &head[7..10]
    )
}

/// `75`, `2A`, `971`…, or `99` for abroad.
fn check_department(d: &str) -> AppResult<String> {
    let d = d.trim().to_ascii_uppercase();
    let ok = match d.len() {
        2 => d.chars().all(|c| c.is_ascii_digit()) && d != "00" || d == "2A" || d == "2B",
        3 => d.starts_with("97") && d.chars().all(|c| c.is_ascii_digit()),
        _ => false,
    };
    if ok && d != "20" {
        Ok(d)
    } else {
        Err(invalid(
            "Département de résidence invalide : 2 chiffres (ou 2A/2B), 3 chiffres outre-mer (971…).",
        ))
    }
}

fn clean_name(name: &str, what: &str) -> AppResult<String> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid(format!("{what} : entre 1 et 100 caractères.")));
    }
    Ok(name)
}

async fn product_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> AppResult<vaccine_product::Model> {
    vaccine_product::Entity::find()
        .filter(vaccine_product::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or_else(|| invalid("Ce vaccin n'est pas au catalogue."))
}

/// The structure, if the actor practises there.
pub async fn my_structure(
    db: &impl ConnectionTrait,
    actor: &Actor,
    structure_id: Uuid,
) -> AppResult<structure::Model> {
    if actor.structure_scope.is_some_and(|s| s != structure_id) {
        return Err(ErrorCode::DelegationRequired.into());
    }
    let mine = actor.structures(db).await?;
    if !mine.contains(&structure_id) {
        return Err(AppError::with_message(
            ErrorCode::Forbidden,
            "Vous n'exercez pas dans cette structure.",
        ));
    }
    structure::Entity::find_by_id(structure_id)
        .one(db)
        .await?
        .ok_or_else(|| ErrorCode::NotFound.into())
}

/// Builds the views of injections, loading what they name in a few queries.
pub async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<injection::Model>,
) -> AppResult<Vec<InjectionView>> {
    let ids = |f: fn(&injection::Model) -> Uuid| rows.iter().map(f).collect::<Vec<_>>();
    let products: HashMap<Uuid, vaccine_product::Model> = vaccine_product::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let lots: HashMap<Uuid, vaccine_lot::Model> = vaccine_lot::Entity::find()
        .filter(vaccine_lot::Column::Id.is_in(ids(|i| i.lot_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let structures: HashMap<Uuid, structure::Model> = structure::Entity::find()
        .filter(structure::Column::Id.is_in(ids(|i| i.structure_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let professionals: HashMap<Uuid, professional::Model> = professional::Entity::find()
        .filter(professional::Column::Id.is_in(ids(|i| i.professional_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let staff: HashMap<Uuid, staff_member::Model> = staff_member::Entity::find()
        .filter(staff_member::Column::Id.is_in(rows.iter().filter_map(|i| i.staff_member_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let declared: Vec<adverse_effect::Model> = adverse_effect::Entity::find()
        .filter(adverse_effect::Column::InjectionId.is_in(ids(|i| i.id)))
        .all(db)
        .await?;
    rows.into_iter()
        .map(|i| {
            let product = products
                .get(&i.product_id)
                .ok_or_else(|| AppError::internal("injection of an unknown product"))?;
            let vaccinator = professionals
                .get(&i.professional_id)
                .map(crate::auth::session::display_name)
                .unwrap_or_default();
            // Only the responsible professional contests, so `by` is the vaccinator.
            let contest = i.contested_at.map(|at| ContestView {
                by: vaccinator.clone(),
                reason: i.contest_reason.clone().unwrap_or_default(),
                at,
            });
            Ok(InjectionView {
                contest,
                id: i.id,
                product_code: product.code.clone(),
                product_name: product.name.clone(),
                manufacturer: product.manufacturer.clone(),
                lot_number: lots
                    .get(&i.lot_id)
                    .map(|l| l.number.clone())
                    .unwrap_or_default(),
                dose_number: i.dose_number,
                series_doses: i.series_doses,
                booster: i.booster,
                site: i.site,
                administered_at: i.administered_at,
                structure_name: structures
                    .get(&i.structure_id)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                structure_finess: structures
                    .get(&i.structure_id)
                    .map(|s| s.finess.clone())
                    .unwrap_or_default(),
                vaccinator,
                typed_by: i
                    .staff_member_id
                    .and_then(|id| staff.get(&id))
                    .map(crate::auth::session::staff_name),
                status: i.status,
                version: i.version,
                correctable_until: i.created_at + CORRECTION_WINDOW,
                adverse_effects_declared: declared.iter().filter(|d| d.injection_id == i.id).count()
                    as u32,
            })
        })
        .collect()
}

async fn injections_of(
    db: &impl ConnectionTrait,
    patient_id: Uuid,
) -> AppResult<Vec<injection::Model>> {
    Ok(injection::Entity::find()
        .filter(injection::Column::PatientId.eq(patient_id))
        .order_by_asc(injection::Column::AdministeredAt)
        .all(db)
        .await?)
}

pub async fn file_of(db: &impl ConnectionTrait, p: patient::Model) -> AppResult<PatientFile> {
    let injections = views(db, injections_of(db, p.id).await?).await?;
    Ok(PatientFile {
        id: p.id,
        nir_masked: mask_nir(&p.nir),
        family_name: p.family_name,
        given_names: p.given_names,
        birth_date: p.birth_date,
        sex: p.sex,
        residence_department: p.residence_department,
        esms_finess: p.esms_finess,
        injections,
    })
}

/// The patient with this NIR, across structures; opens the file for this session (audited).
pub async fn lookup(state: &AppState, actor: &Actor, nir: &Nir) -> AppResult<Option<PatientFile>> {
    let Some(p) = patient::Entity::find()
        .filter(patient::Column::Nir.eq(nir.as_str()))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let now = state.now();
    let txn = crate::audit::begin_write(&state.db).await?;
    grant(&txn, now, actor, p.id).await?;
    audit::record(&txn, now, event(actor, "patient.looked_up").subject(p.id)).await?;
    crate::audit::commit(txn, &state.db).await?;
    Ok(Some(file_of(&state.db, p).await?))
}

async fn grant(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    actor: &Actor,
    patient_id: Uuid,
) -> AppResult<()> {
    patient_access::Entity::insert(patient_access::ActiveModel {
        session_id: Set(actor.session_id),
        patient_id: Set(patient_id),
        granted_at: Set(now),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([
            patient_access::Column::SessionId,
            patient_access::Column::PatientId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Patients I may see with this family name and birth date.
pub async fn search(
    state: &AppState,
    actor: &Actor,
    family_name: &str,
    birth_date: NaiveDate,
) -> AppResult<Vec<PatientSummary>> {
    let name = clean_name(family_name, "Nom de famille")?;
    let candidates = patient::Entity::find()
        .filter(patient::Column::BirthDate.eq(birth_date))
        .all(&state.db)
        .await?;
    let structures = actor.structures(&state.db).await?;
    let mut out = Vec::new();
    for p in candidates {
        if !p
            .family_name
            .to_lowercase()
            .starts_with(&name.to_lowercase())
        {
            continue;
        }
        if access::can_see_from(&state.db, actor, &structures, p.id).await? {
            out.push(PatientSummary {
                id: p.id,
                nir_masked: mask_nir(&p.nir),
                family_name: p.family_name,
                given_names: p.given_names,
                birth_date: p.birth_date,
            });
        }
    }
    Ok(out)
}

/// A patient's file, if I may see it (else: not found, as if it did not exist).
pub async fn file(state: &AppState, actor: &Actor, patient_id: Uuid) -> AppResult<PatientFile> {
    let p = visible_patient(&state.db, actor, patient_id).await?;
    file_of(&state.db, p).await
}

pub async fn visible_patient(
    db: &impl ConnectionTrait,
    actor: &Actor,
    patient_id: Uuid,
) -> AppResult<patient::Model> {
    let found = patient::Entity::find_by_id(patient_id).one(db).await?;
    match found {
        Some(p) if access::can_see(db, actor, p.id).await? => Ok(p),
        _ => Err(ErrorCode::NotFound.into()),
    }
}

fn past_doses(
    history: &[injection::Model],
    products: &HashMap<Uuid, vaccine_product::Model>,
) -> Vec<PastDose> {
    history
        .iter()
        .filter(|i| i.status != InjectionStatus::Invalidated)
        .map(|i| PastDose {
            product_code: products
                .get(&i.product_id)
                .map(|p| p.code.clone())
                .unwrap_or_default(),
            administered_at: i.administered_at,
            booster: i.booster,
        })
        .collect()
}

struct Assessment {
    product: vaccine_product::Model,
    rank: rules::DoseRank,
    warnings: Vec<vigie_shared::api::vaccination::Warning>,
    last_site: Option<InjectionSite>,
}

async fn assess(
    db: &impl ConnectionTrait,
    history: &[injection::Model],
    product: vaccine_product::Model,
    birth: NaiveDate,
    at: DateTime<Utc>,
) -> AppResult<Assessment> {
    let products: HashMap<Uuid, vaccine_product::Model> = vaccine_product::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let valid: Vec<&injection::Model> = history
        .iter()
        .filter(|i| i.status != InjectionStatus::Invalidated)
        .collect();
    let past = past_doses(history, &products);
    let first_doses = valid
        .first()
        .and_then(|i| products.get(&i.product_id))
        .map(|p| p.doses_in_schedule);
    let candidate = Candidate {
        code: &product.code,
        name: &product.name,
        doses_in_schedule: product.doses_in_schedule,
        min_interval_days: product.min_interval_days,
        min_age_years: product.min_age_years,
    };
    let rank = rules::rank(&past, first_doses, &candidate);
    let warnings = rules::warnings(&past, &candidate, &rank, birth, at);
    let last_site = valid.last().map(|i| i.site);
    Ok(Assessment {
        product,
        rank,
        warnings,
        last_site,
    })
}

/// The structure's usable lot of a product: active, not expired, expiring first.
async fn default_lot(
    db: &impl ConnectionTrait,
    structure_id: Uuid,
    product_id: Uuid,
    today: NaiveDate,
) -> AppResult<Option<vaccine_lot::Model>> {
    Ok(vaccine_lot::Entity::find()
        .filter(vaccine_lot::Column::StructureId.eq(structure_id))
        .filter(vaccine_lot::Column::ProductId.eq(product_id))
        .filter(vaccine_lot::Column::Active.eq(true))
        .filter(vaccine_lot::Column::ExpiresOn.gte(today))
        .order_by_asc(vaccine_lot::Column::ExpiresOn)
        .one(db)
        .await?)
}

fn paris_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Paris).date_naive()
}

/// The next dose's rank, warnings and defaults (product of the series or of the structure's
/// lots, its lot of the day, the last injection site).
pub async fn preview(
    state: &AppState,
    actor: &Actor,
    req: &DosePreviewRequest,
) -> AppResult<DosePreview> {
    let db = &state.db;
    let structure = my_structure(db, actor, req.structure_id).await?;
    let at = req.administered_at.unwrap_or_else(|| state.now());
    let (history, birth) = match req.patient_id {
        Some(id) => {
            let p = visible_patient(db, actor, id).await?;
            (injections_of(db, p.id).await?, p.birth_date)
        }
        None => (
            Vec::new(),
            req.birth_date
                .ok_or_else(|| invalid("La date de naissance est nécessaire."))?,
        ),
    };
    let product = match &req.product_code {
        Some(code) => product_by_code(db, code).await?,
        None => default_product(db, &history, structure.id, paris_day(at)).await?,
    };
    let lot = default_lot(db, structure.id, product.id, paris_day(at)).await?;
    let a = assess(db, &history, product, birth, at).await?;
    Ok(DosePreview {
        product_code: a.product.code,
        lot_id: lot.map(|l| l.id),
        site: a.last_site.unwrap_or(InjectionSite::LeftDeltoid),
        dose_number: a.rank.number,
        series_doses: a.rank.series,
        booster: a.rank.booster,
        warnings: a.warnings,
    })
}

/// The product of the patient's last valid dose if the structure has a usable lot of it,
/// else the product of the structure's first usable lot, else the first active product.
async fn default_product(
    db: &impl ConnectionTrait,
    history: &[injection::Model],
    structure_id: Uuid,
    today: NaiveDate,
) -> AppResult<vaccine_product::Model> {
    if let Some(last) = history
        .iter()
        .rev()
        .find(|i| i.status != InjectionStatus::Invalidated)
        && default_lot(db, structure_id, last.product_id, today)
            .await?
            .is_some()
        && let Some(p) = vaccine_product::Entity::find_by_id(last.product_id)
            .one(db)
            .await?
    {
        return Ok(p);
    }
    let lot = vaccine_lot::Entity::find()
        .filter(vaccine_lot::Column::StructureId.eq(structure_id))
        .filter(vaccine_lot::Column::Active.eq(true))
        .filter(vaccine_lot::Column::ExpiresOn.gte(today))
        .order_by_asc(vaccine_lot::Column::ExpiresOn)
        .one(db)
        .await?;
    if let Some(lot) = lot
        && let Some(p) = vaccine_product::Entity::find_by_id(lot.product_id)
            .one(db)
            .await?
    {
        return Ok(p);
    }
    vaccine_product::Entity::find()
        .filter(vaccine_product::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("empty catalogue"))
}

fn event(actor: &Actor, action: &'static str) -> Event {
    let mut e = Event::new(action).session(actor.session_id);
    // The typist is the actor; the professional, the authority.
    match actor.staff_member_id {
        Some(staff) => {
            e.actor = Some(staff.to_string());
            e.authority = Some(actor.professional_id.to_string());
        }
        None => {
            e = e.actor(actor.professional_id);
            e.authority = Some(actor.professional_id.to_string());
        }
    }
    if let Some(t) = actor.terminal_id {
        e = e.terminal(t);
    }
    e
}

fn principal_key(actor: &Actor) -> String {
    actor
        .staff_member_id
        .unwrap_or(actor.professional_id)
        .to_string()
}

/// The one write of a vaccination act: patient (found or created), consultation, injection.
/// Idempotent on the client's key; acknowledged only once committed.
pub async fn record(
    state: &AppState,
    actor: &Actor,
    req: NewVaccination,
) -> AppResult<VaccinationRecorded> {
    let principal = principal_key(actor);
    // Keys live in the caller's own space: someone else's key is never even looked at.
    let key = format!("vaccination:{principal}:{}", req.idempotency_key);
    let fingerprint = idempotency::fingerprint(&req)?;
    if let Some(answer) = idempotency::replay(&state.db, &key, &principal, &fingerprint).await? {
        return Ok(answer);
    }
    let structure = my_structure(&state.db, actor, req.structure_id).await?;
    check_consultation(&req)?;

    let work_actor = crate::work::Actor {
        id: Some(actor.staff_member_id.unwrap_or(actor.professional_id)),
        authority: Some(actor.professional_id),
        session: Some(actor.session_id),
        terminal: actor.terminal_id,
    };
    let (state, actor) = (state.clone(), actor.clone());
    // One write of the batch: a refusal (unusable lot, warning to confirm) rolls back alone.
    crate::work::write(&state.clone(), work_actor, move |work| {
        Box::pin(async move {
            // Retries with this key wait here for the first write, then find its answer.
            work.guard(crate::work::Subject::IdempotencyKey(&key))
                .await?;
            let (txn, now) = (work.db(), work.now());
            let actor = &actor;
            // Under the key's lock: a parallel retry that committed first is seen here, so the
            // same act is never written twice.
            if let Some(answer) = idempotency::replay(txn, &key, &principal, &fingerprint).await? {
                return Ok(answer);
            }
            let patient = match &req.patient {
                PatientRef::Existing { id } => visible_patient(txn, actor, *id).await?,
                PatientRef::New(new) => {
                    let nir = Nir::parse_with(
                        new.nir.as_str(),
                        NirContext {
                            sex: Some(new.sex),
                            birth_date: Some(new.birth_date),
                        },
                    )?;
                    if new.birth_date > paris_day(now) {
                        return Err(invalid(
                            "La date de naissance ne peut pas être dans le futur.",
                        ));
                    }
                    // One statement: of two writes for the same new person in parallel, the
                    // second finds the first one's row (the NIR is unique).
                    let new_id = Uuid::new_v4();
                    patient::Entity::insert(patient::ActiveModel {
                        id: Set(new_id),
                        nir: Set(nir.as_str().to_owned()),
                        family_name: Set(
                            clean_name(&new.family_name, "Nom de famille")?.to_uppercase()
                        ),
                        given_names: Set(clean_name(&new.given_names, "Prénom(s)")?),
                        birth_date: Set(new.birth_date),
                        sex: Set(new.sex),
                        residence_department: Set(check_department(&new.residence_department)?),
                        esms_finess: Set(new.esms_finess.as_ref().map(|f| f.as_str().to_owned())),
                        created_at: Set(now),
                        updated_at: Set(now),
                    })
                    .on_conflict_do_nothing_on([patient::Column::Nir])
                    .exec_without_returning(txn)
                    .await?;
                    let p = patient::Entity::find()
                        .filter(patient::Column::Nir.eq(nir.as_str()))
                        .one(txn)
                        .await?
                        .ok_or_else(|| AppError::internal("patient vanished"))?;
                    if p.id != new_id {
                        // Typed anew with the full NIR: the same person, whose file opens.
                        grant(txn, now, actor, p.id).await?;
                    }
                    p
                }
            };

            let c = &req.consultation;
            let consultation = consultation::ActiveModel {
                id: Set(Uuid::new_v4()),
                patient_id: Set(patient.id),
                structure_id: Set(structure.id),
                professional_id: Set(actor.professional_id),
                staff_member_id: Set(actor.staff_member_id),
                session_id: Set(actor.session_id),
                terminal_id: Set(actor.terminal_id),
                eligible: Set(c.eligible),
                contraindications: Set(c.contraindications.trim().chars().take(2000).collect()),
                consent: Set(c.consent),
                outcome: Set(c.outcome),
                postpone_reason: Set(c.postpone_reason.as_ref().map(|r| r.trim().to_owned())),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;

            let injection = match &req.injection {
                None => None,
                Some(input) => {
                    let at = input.administered_at.unwrap_or(now);
                    if at > now + FUTURE_TOLERANCE {
                        return Err(invalid(
                            "La date d'injection ne peut pas être dans le futur.",
                        ));
                    }
                    let product = product_by_code(txn, &input.product_code).await?;
                    let lot = vaccine_lot::Entity::find_by_id(input.lot_id)
                        .one(txn)
                        .await?;
                    let usable = lot.as_ref().is_some_and(|l| {
                        l.structure_id == structure.id
                            && l.product_id == product.id
                            && l.active
                            && l.expires_on >= paris_day(at)
                    });
                    if !usable {
                        return Err(ErrorCode::LotUnusable.into());
                    }
                    let history = injections_of(txn, patient.id).await?;
                    let a = assess(txn, &history, product, patient.birth_date, at).await?;
                    let unconfirmed: Vec<&str> = a
                        .warnings
                        .iter()
                        .filter(|w| !input.confirmed_warnings.contains(&w.code))
                        .map(|w| w.message.as_str())
                        .collect();
                    if !unconfirmed.is_empty() {
                        return Err(AppError::with_message(
                            ErrorCode::ConfirmationRequired,
                            format!("À confirmer : {}", unconfirmed.join(" ")),
                        ));
                    }
                    let confirmed: Vec<WarningCode> = a.warnings.iter().map(|w| w.code).collect();
                    let row = injection::ActiveModel {
                        id: Set(Uuid::new_v4()),
                        patient_id: Set(patient.id),
                        consultation_id: Set(Some(consultation.id)),
                        structure_id: Set(structure.id),
                        product_id: Set(a.product.id),
                        lot_id: Set(input.lot_id),
                        dose_number: Set(a.rank.number),
                        series_doses: Set(a.rank.series),
                        booster: Set(a.rank.booster),
                        site: Set(input.site),
                        administered_at: Set(at),
                        professional_id: Set(actor.professional_id),
                        staff_member_id: Set(actor.staff_member_id),
                        session_id: Set(actor.session_id),
                        terminal_id: Set(actor.terminal_id),
                        esms_finess: Set(patient.esms_finess.clone()),
                        status: Set(InjectionStatus::Valid),
                        version: Set(1),
                        confirmed_warnings: Set(
                            serde_json::to_string(&confirmed).map_err(AppError::internal)?
                        ),
                        created_at: Set(now),
                        updated_at: Set(now),
                        contested_at: Set(None),
                        contest_reason: Set(None),
                        contested_by: Set(None),
                    }
                    .insert(txn)
                    .await?;
                    crate::statistics::recorded(txn, &patient, &row).await?;
                    Some(row)
                }
            };
            audit::record(
                txn,
                now,
                event(actor, "vaccination.recorded")
                    .subject(injection.as_ref().map_or(consultation.id, |i| i.id))
                    .details(serde_json::json!({
                        "patient": patient.id,
                        "consultation": consultation.id,
                        "injection": injection.as_ref().map(|i| i.id),
                        "structure": structure.id,
                    })),
            )
            .await?;
            if let Some(row) = &injection
                && actor.staff_member_id.is_some()
            {
                // The supervising professional sees it arrive, live.
                crate::delegation::supervision::entry_recorded(&state, txn, now, row).await?;
            }
            let injection_view = match injection {
                Some(row) => views(txn, vec![row]).await?.pop(),
                None => None,
            };
            let answer = VaccinationRecorded {
                patient_id: patient.id,
                consultation_id: consultation.id,
                injection: injection_view,
            };
            idempotency::store(txn, now, &key, &principal, &fingerprint, &answer).await?;
            Ok(answer)
        })
    })
    .await
}

fn check_consultation(req: &NewVaccination) -> AppResult<()> {
    let c = &req.consultation;
    match c.outcome {
        ConsultationOutcome::Vaccinate => {
            if !c.eligible || !c.consent {
                return Err(invalid(
                    "Pour vacciner, la personne doit être éligible et avoir donné son consentement.",
                ));
            }
            if req.injection.is_none() {
                return Err(invalid("Décision « vacciner » : l'injection manque."));
            }
        }
        ConsultationOutcome::Postpone => {
            if c.postpone_reason
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
            {
                return Err(invalid("Indiquez le motif du report."));
            }
            if req.injection.is_some() {
                return Err(invalid(
                    "Vaccination reportée : aucune injection n'est enregistrée.",
                ));
            }
        }
        ConsultationOutcome::Contraindicated => {
            if req.injection.is_some() {
                return Err(invalid(
                    "Contre-indication : aucune injection n'est enregistrée.",
                ));
            }
        }
    }
    Ok(())
}

/// Loads an injection the actor may change: theirs (author or responsible), within 24 h.
async fn correctable(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    id: Uuid,
) -> AppResult<injection::Model> {
    let row = injection::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    if !access::can_see(db, actor, row.patient_id).await? {
        return Err(ErrorCode::NotFound.into());
    }
    let author = match actor.staff_member_id {
        Some(staff) => row.staff_member_id == Some(staff),
        None => row.professional_id == actor.professional_id,
    };
    if !author
        || now >= row.created_at + CORRECTION_WINDOW
        || row.status == InjectionStatus::Invalidated
    {
        return Err(ErrorCode::CorrectionClosed.into());
    }
    Ok(row)
}

fn check_reason(reason: &str) -> AppResult<String> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(invalid("Indiquez le motif (500 caractères au plus)."));
    }
    Ok(reason.to_owned())
}

/// Keeps the injection as it was before a change (correction, invalidation, contest), with
/// who changed it from which session.
pub(crate) async fn keep_revision(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    (changed_by, session_id): (String, Uuid),
    row: &injection::Model,
    change: &str,
    reason: &str,
) -> AppResult<()> {
    let before = views(txn, vec![row.clone()]).await?.pop();
    injection_revision::ActiveModel {
        id: Set(Uuid::new_v4()),
        injection_id: Set(row.id),
        version: Set(row.version),
        snapshot: Set(serde_json::to_string(&before).map_err(AppError::internal)?),
        change: Set(change.into()),
        reason: Set(reason.into()),
        changed_by: Set(changed_by),
        session_id: Set(session_id),
        changed_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}

pub async fn correct(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    change: InjectionCorrection,
) -> AppResult<InjectionView> {
    let now = state.now();
    let reason = check_reason(&change.reason)?;
    let txn = audit::begin_write(&state.db).await?;
    let row = correctable(&txn, actor, now, id).await?;
    keep_revision(
        &txn,
        now,
        (principal_key(actor), actor.session_id),
        &row,
        "correction",
        &reason,
    )
    .await?;
    let mut next = row.clone().into_active_model();
    if let Some(lot_id) = change.lot_id {
        let at = change.administered_at.unwrap_or(row.administered_at);
        let usable = vaccine_lot::Entity::find_by_id(lot_id)
            .one(&txn)
            .await?
            .is_some_and(|l| {
                l.structure_id == row.structure_id
                    && l.product_id == row.product_id
                    && l.expires_on >= paris_day(at)
            });
        if !usable {
            return Err(ErrorCode::LotUnusable.into());
        }
        next.lot_id = Set(lot_id);
    }
    if let Some(site) = change.site {
        next.site = Set(site);
    }
    if let Some(at) = change.administered_at {
        if at > now + FUTURE_TOLERANCE {
            return Err(invalid(
                "La date d'injection ne peut pas être dans le futur.",
            ));
        }
        next.administered_at = Set(at);
    }
    next.version = Set(row.version + 1);
    next.updated_at = Set(now);
    let updated = next.update(&txn).await?;
    crate::statistics::corrected(&txn, &row, &updated).await?;
    audit::record(
        &txn,
        now,
        event(actor, "injection.corrected")
            .subject(row.id)
            .details(serde_json::json!({ "version": updated.version })),
    )
    .await?;
    let view = views(&txn, vec![updated]).await?.pop();
    crate::audit::commit(txn, &state.db).await?;
    view.ok_or_else(|| AppError::internal("view of a corrected injection"))
}

pub async fn invalidate(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> AppResult<InjectionView> {
    let now = state.now();
    let reason = check_reason(reason)?;
    let txn = audit::begin_write(&state.db).await?;
    let row = correctable(&txn, actor, now, id).await?;
    keep_revision(
        &txn,
        now,
        (principal_key(actor), actor.session_id),
        &row,
        "invalidation",
        &reason,
    )
    .await?;
    let mut next = row.clone().into_active_model();
    next.status = Set(InjectionStatus::Invalidated);
    next.version = Set(row.version + 1);
    next.updated_at = Set(now);
    let updated = next.update(&txn).await?;
    crate::statistics::invalidated(&txn, &row).await?;
    audit::record(
        &txn,
        now,
        event(actor, "injection.invalidated").subject(row.id),
    )
    .await?;
    let view = views(&txn, vec![updated]).await?.pop();
    crate::audit::commit(txn, &state.db).await?;
    view.ok_or_else(|| AppError::internal("view of an invalidated injection"))
}

pub async fn revisions(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Vec<InjectionRevisionView>> {
    let row = injection::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    visible_patient(&state.db, actor, row.patient_id).await?;
    injection_revision::Entity::find()
        .filter(injection_revision::Column::InjectionId.eq(id))
        .order_by_asc(injection_revision::Column::Version)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| {
            Ok(InjectionRevisionView {
                version: r.version,
                change: r.change,
                reason: r.reason,
                changed_at: r.changed_at,
                before: serde_json::from_str(&r.snapshot).map_err(AppError::internal)?,
            })
        })
        .collect()
}

pub async fn declare_adverse_effect(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    description: &str,
) -> AppResult<AdverseEffectRecorded> {
    let now = state.now();
    let description = description.trim();
    if description.is_empty() || description.chars().count() > 2000 {
        return Err(invalid(
            "Décrivez l'effet indésirable (2000 caractères au plus).",
        ));
    }
    let row = injection::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::code(ErrorCode::NotFound))?;
    visible_patient(&state.db, actor, row.patient_id).await?;
    let view = views(&state.db, vec![row.clone()])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("view"))?;
    let txn = crate::audit::begin_write(&state.db).await?;
    let declared = adverse_effect::ActiveModel {
        id: Set(Uuid::new_v4()),
        injection_id: Set(row.id),
        patient_id: Set(row.patient_id),
        description: Set(description.to_owned()),
        declared_by: Set(principal_key(actor)),
        session_id: Set(actor.session_id),
        declared_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        event(actor, "adverse_effect.declared").subject(row.id),
    )
    .await?;
    crate::audit::commit(txn, &state.db).await?;
    Ok(AdverseEffectRecorded {
        id: declared.id,
        portal_url: ADVERSE_EFFECT_PORTAL.into(),
        context: format!(
            "Vaccin : {} ({}), lot {}, dose {}/{}, injecté le {} — {}",
            view.product_name,
            view.manufacturer,
            view.lot_number,
            view.dose_number,
            view.series_doses,
            view.administered_at
                .with_timezone(&Paris)
                .format("%d/%m/%Y à %H:%M"),
            view.structure_name
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nir_is_masked_after_ten_characters() {
        assert_eq!(mask_nir("255081416802538"), "2 55 08 14 168 *** **");
    }

    #[test]
    fn departments() {
        for ok in ["75", "2A", "2b", "971", "01", "99"] {
            assert!(check_department(ok).is_ok(), "{ok}");
        }
        for bad in ["", "7", "20", "00", "9711", "AB", "981"] {
            assert!(check_department(bad).is_err(), "{bad}");
        }
    }
}
