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
    api::delegation::DelegatedEntry,
    api::offline::ReviewReason,
    api::vaccination::{
        AdverseEffectRecorded, ConsultationOutcome, DosePreview, DosePreviewRequest,
        InjectionCorrection, InjectionRevisionView, InjectionSite, InjectionStatus, InjectionView,
        NewVaccination, PatientFile, PatientRef, PatientSummary, VaccinationRecorded, WarningCode,
    },
};

use super::{
    catalogue::recommendation_for,
    rules::{self, Candidate, PastDose},
};
use crate::{
    access::{self, Actor},
    entities::{
        adverse_effect, consultation, injection, injection_revision, offline_permit, patient,
        patient_access, structure, vaccine_lot, vaccine_product,
    },
    error::{AppError, AppResult},
    idempotency,
    injections::{
        CAMPAIGN_START, CORRECTION_WINDOW, Catalogue, Names, catalogue, keep_revision, view, views,
    },
    state::AppState,
    work::{DomainEvent, Injected, OfflineOrigin},
};

/// Clock drift tolerated between a tablet and the server for "now".
const FUTURE_TOLERANCE: Duration = Duration::minutes(5);
/// The oldest birth date taken as plausible.
const OLDEST_BIRTH: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// An injection date: not in the future, not before the campaign, not before birth.
fn check_injection_date(at: DateTime<Utc>, now: DateTime<Utc>, birth: NaiveDate) -> AppResult<()> {
    if at > now + FUTURE_TOLERANCE {
        return Err(invalid(
            "La date d'injection ne peut pas être dans le futur.",
        ));
    }
    let day = paris_day(at);
    if day < CAMPAIGN_START {
        return Err(invalid(
            "La date d'injection ne peut pas précéder le début de la campagne de vaccination (27/12/2020).",
        ));
    }
    if day < birth {
        return Err(invalid(
            "La date d'injection ne peut pas précéder la date de naissance.",
        ));
    }
    Ok(())
}

/// A birth date: not in the future, not before 1900.
fn check_birth_date(birth: NaiveDate, now: DateTime<Utc>) -> AppResult<()> {
    if birth > paris_day(now) {
        return Err(invalid(
            "La date de naissance ne peut pas être dans le futur.",
        ));
    }
    if birth < OLDEST_BIRTH {
        return Err(invalid(
            "Date de naissance invraisemblable : avant le 1er janvier 1900.",
        ));
    }
    Ok(())
}
pub const ADVERSE_EFFECT_PORTAL: &str = "https://signalement.social-sante.gouv.fr/";

fn invalid(message: impl Into<String>) -> AppError {
    AppError::with_message(ErrorCode::InvalidInput, message)
}

/// "2 55 08 ** *** *** **": sex, year and month of birth (the first 5 digits, grouped as on a
/// Carte Vitale) — enough to tell two patients apart on a screen, not to find where they were
/// born or who they are; the rest hidden.
pub fn mask_nir(nir: &str) -> String {
    let head: Vec<char> = nir.chars().take(5).collect();
    if head.len() < 5 {
        return "***".into();
    }
    format!(
        "{} {}{} {}{} ** *** *** **",
        head[0], head[1], head[2], head[3], head[4]
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
    if vigie_shared::text::has_hidden_characters(name) {
        return Err(invalid(format!(
            "{what} : caractère invisible ou de contrôle refusé (retour à la ligne, caractère de direction, espace de largeur nulle…)."
        )));
    }
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid(format!("{what} : entre 1 et 100 caractères.")));
    }
    Ok(name)
}

fn product_by_code(catalogue: &Catalogue, code: &str) -> AppResult<vaccine_product::Model> {
    catalogue
        .values()
        .find(|p| p.code == code)
        .cloned()
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
    // One query: the structure, only if the actor works there.
    access::structure_worked_in(db, actor, structure_id)
        .await?
        .ok_or_else(|| {
            AppError::with_message(
                ErrorCode::Forbidden,
                "Vous n'exercez pas dans cette structure.",
            )
        })
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
        nir_masked: p.nir_masked,
        family_name: p.family_name,
        given_names: p.given_names,
        birth_date: p.birth_date,
        sex: p.sex,
        residence_department: p.residence_department,
        esms_finess: p.esms_finess,
        injections,
    })
}

/// The patient with this NIR, across structures; opens the file for this session. Every
/// look-up is audited (a miss under the NIR's keyed fingerprint) and counted against the
/// `patient_lookups_per_hour` setting for the person typing (a busy hall's vaccinator looks up a
/// patient every minute or two; hundreds an hour is someone harvesting files); the first
/// refusal of the hour opens an incident. Searches by name and birth date count against the
/// same quota.
pub async fn lookup(state: &AppState, actor: &Actor, nir: &Nir) -> AppResult<Option<PatientFile>> {
    let nir_key = state.nir_fingerprint.of(nir.as_str());
    let found = patient::Entity::find()
        .filter(patient::Column::NirKey.eq(nir_key.as_str()))
        .one(&state.db)
        .await?;
    let (patient, who) = (found.as_ref().map(|p| p.id), actor.clone());
    let most = state.settings.patient_lookups_per_hour;
    let allowed = crate::work::write(state, actor.acting(), move |work| {
        Box::pin(async move {
            if !take_lookup(work, &who, most).await? {
                return Ok(false);
            }
            match patient {
                Some(patient) => {
                    grant(work.db(), work.now(), &who, patient).await?;
                    work.emit(DomainEvent::PatientLookedUp { patient });
                }
                None => work.emit(DomainEvent::PatientLookupMissed { nir_key }),
            }
            Ok(true)
        })
    })
    .await?;
    if !allowed {
        return Err(lookups_exceeded());
    }
    match found {
        Some(p) => Ok(Some(file_of(&state.db, p).await?)),
        None => Ok(None),
    }
}

/// Spends one of the person's patient look-ups of the hour (`patient_lookup:` quota, shared by
/// look-ups by NIR and searches by name). None left: the refusal is audited and the first one
/// of the hour opens an incident; false.
async fn take_lookup(work: &mut crate::work::Work, who: &Actor, most: i32) -> AppResult<bool> {
    let typist = who.staff_member_id.unwrap_or(who.professional_id);
    let hour = Duration::hours(1);
    let quota = format!("patient_lookup:{typist}");
    if work.take_quota(&quota, hour, most).await? {
        return Ok(true);
    }
    let alert = format!("patient_lookup_incident:{typist}");
    let incident = if work.take_quota(&alert, hour, 1).await? {
        Some(
            crate::incident::open(
                work.db(),
                work.now(),
                crate::incident::Concerning::Professional(who.professional_id),
                None,
                "patient_lookup_flood",
            )
            .await?,
        )
    } else {
        None
    };
    work.emit(DomainEvent::PatientLookupsExceeded { incident });
    Ok(false)
}

fn lookups_exceeded() -> AppError {
    AppError::with_message(
        ErrorCode::RateLimited,
        "Trop de recherches de patients en une heure : réessayez plus tard. \
         L'équipe de sécurité est prévenue.",
    )
}

/// Audits a read of patient data (`what`: file, certificate, recap).
async fn audit_read(
    state: &AppState,
    actor: &Actor,
    patient: Uuid,
    what: &'static str,
) -> AppResult<()> {
    crate::work::write(state, actor.acting(), move |work| {
        Box::pin(async move {
            work.emit(DomainEvent::PatientRead { patient, what });
            Ok(())
        })
    })
    .await
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

/// Patients I may see with this family name and birth date. Audited, and counted against the
/// person's hourly look-ups (`patient_lookups_per_hour`, shared with look-ups by NIR).
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
    let mut out: Vec<PatientSummary> = Vec::new();
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
                nir_masked: p.nir_masked,
                family_name: p.family_name,
                given_names: p.given_names,
                birth_date: p.birth_date,
            });
        }
    }
    let (found, who) = (out.len(), actor.clone());
    let most = state.settings.patient_lookups_per_hour;
    let allowed = crate::work::write(state, actor.acting(), move |work| {
        Box::pin(async move {
            if !take_lookup(work, &who, most).await? {
                return Ok(false);
            }
            work.emit(DomainEvent::PatientsSearched { found });
            Ok(true)
        })
    })
    .await?;
    if !allowed {
        return Err(lookups_exceeded());
    }
    Ok(out)
}

/// A patient's file, if I may see it (else: not found, as if it did not exist); audited.
pub async fn file(state: &AppState, actor: &Actor, patient_id: Uuid) -> AppResult<PatientFile> {
    read(state, actor, patient_id, "file").await
}

/// The file, read for `what` (the file itself, the certificate, the printable recap): audited
/// as such.
pub async fn read(
    state: &AppState,
    actor: &Actor,
    patient_id: Uuid,
    what: &'static str,
) -> AppResult<PatientFile> {
    let p = visible_patient(&state.db, actor, patient_id).await?;
    audit_read(state, actor, p.id, what).await?;
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

fn assess(
    products: &Catalogue,
    history: &[injection::Model],
    product: vaccine_product::Model,
    birth: NaiveDate,
    at: DateTime<Utc>,
) -> Assessment {
    let valid: Vec<&injection::Model> = history
        .iter()
        .filter(|i| i.status != InjectionStatus::Invalidated)
        .collect();
    let past = past_doses(history, products);
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
    Assessment {
        product,
        rank,
        warnings,
        last_site,
    }
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

/// The next dose's rank, warnings and defaults (the product of the patient's last dose, else
/// the one recommended for their age; its lot of the day; the last injection site).
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
        None => {
            let birth = req
                .birth_date
                .ok_or_else(|| invalid("La date de naissance est nécessaire."))?;
            check_birth_date(birth, state.now())?;
            (Vec::new(), birth)
        }
    };
    check_injection_date(at, state.now(), birth)?;
    let products = catalogue(db).await?;
    let product = match &req.product_code {
        Some(code) => product_by_code(&products, code)?,
        None => {
            let age = rules::age_on(birth, paris_day(at));
            default_product(db, &products, &history, structure.id, age, paris_day(at)).await?
        }
    };
    let lot = default_lot(db, structure.id, product.id, paris_day(at)).await?;
    let a = assess(&products, &history, product, birth, at);
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

/// The product of the patient's last valid dose if the structure has a usable lot of it; else
/// the one recommended for their age ([`super::catalogue::AGE_RECOMMENDATIONS`]): the first
/// proposed product the patient is old enough for (the catalogue's minimum age) that the
/// structure has a usable lot of, else the first one they are old enough for (its lot to be
/// found), else the first proposed.
async fn default_product(
    db: &impl ConnectionTrait,
    products: &Catalogue,
    history: &[injection::Model],
    structure_id: Uuid,
    age: i32,
    today: NaiveDate,
) -> AppResult<vaccine_product::Model> {
    if let Some(last) = history
        .iter()
        .rev()
        .find(|i| i.status != InjectionStatus::Invalidated)
        && let Some(p) = products.get(&last.product_id)
        && default_lot(db, structure_id, p.id, today).await?.is_some()
    {
        return Ok(p.clone());
    }
    let proposed: Vec<&vaccine_product::Model> = recommendation_for(age)
        .proposed
        .iter()
        .filter_map(|code| products.values().find(|p| p.code == *code && p.active))
        .collect();
    let old_enough: Vec<&vaccine_product::Model> = proposed
        .iter()
        .copied()
        .filter(|p| age >= p.min_age_years)
        .collect();
    for p in &old_enough {
        if default_lot(db, structure_id, p.id, today).await?.is_some() {
            return Ok((*p).clone());
        }
    }
    old_enough
        .first()
        .or(proposed.first())
        .map(|p| (*p).clone())
        .ok_or_else(|| AppError::internal("no recommended product in the catalogue"))
}

fn principal_key(actor: &Actor) -> String {
    actor
        .staff_member_id
        .unwrap_or(actor.professional_id)
        .to_string()
}

/// How a vaccination reaches the server: typed online, or synced from a device's offline queue.
pub enum Arrival {
    Online,
    Offline(Box<OfflineArrival>),
}

/// An entry from a device's offline queue, its permit already checked (signature, holder,
/// device, end): what the write must still do differently from an online one.
#[derive(Clone)]
pub struct OfflineArrival {
    pub permit: Uuid,
    pub device: Uuid,
    pub device_time: DateTime<Utc>,
    /// The dose rank the device computed from the history it had cached.
    pub expected_dose_number: Option<i32>,
    /// The permit was revoked after this entry was made: recorded, flagged.
    pub revoked_since: bool,
    /// The queued entry's fingerprint: a resent queue gets the first answer.
    pub fingerprint: String,
}

/// What a write did: its answer and, for an offline entry, why it must be looked at again.
pub struct Landed {
    pub answer: VaccinationRecorded,
    pub flags: Vec<ReviewReason>,
}

/// The one write of a vaccination act: patient (found or created), consultation, injection.
/// Idempotent on the client's key; acknowledged only once committed.
///
/// What does not change under the write (the structure, the catalogue) is read before it, on
/// the reader pool: on SQLite the write itself runs in the one writer's batch, where every
/// statement is paid by every write queued behind it.
pub async fn record(
    state: &AppState,
    actor: &Actor,
    req: NewVaccination,
) -> AppResult<VaccinationRecorded> {
    Ok(record_as(state, actor, req, Arrival::Online).await?.answer)
}

/// [`record`], online or from an offline queue. An offline entry is a dose already given: what
/// would refuse it online (a warning nobody confirmed, a lot withdrawn or empty since, another
/// rank than the device computed, a permit revoked since) records it flagged instead, and its
/// permit's entry count is taken in the same write.
pub async fn record_as(
    state: &AppState,
    actor: &Actor,
    req: NewVaccination,
    arrival: Arrival,
) -> AppResult<Landed> {
    let principal = principal_key(actor);
    // Keys live in the caller's own space: someone else's key is never even looked at.
    let key = format!("vaccination:{principal}:{}", req.idempotency_key);
    let fingerprint = idempotency::fingerprint(&req)?;
    // A retry of a committed write is answered from the pool, without entering a batch.
    if let Some(answer) = idempotency::replay(&state.db, &key, &principal, &fingerprint).await? {
        return Ok(Landed {
            answer,
            flags: Vec::new(),
        });
    }
    let structure = my_structure(&state.db, actor, req.structure_id).await?;
    let place = super::practice::place_for(&structure, req.place.as_ref())?;
    check_consultation(&req)?;
    let products = state.catalogue.clone();
    let product = match &req.injection {
        Some(input) => Some(product_by_code(&products, &input.product_code)?),
        None => None,
    };

    // What never changes about the lot (its structure, product and number) is read here, on the
    // pool; whether it is still usable is checked by the dose taken from it, in the write.
    let lot = match (&req.injection, &product) {
        (Some(input), Some(product)) => Some(
            vaccine_lot::Entity::find_by_id(input.lot_id)
                .one(&state.db)
                .await?
                .filter(|l| l.structure_id == structure.id && l.product_id == product.id)
                .ok_or(AppError::code(ErrorCode::LotUnusable))?,
        ),
        _ => None,
    };

    let work_actor = actor.acting();
    let actor = actor.clone();
    let writer = state.writer.clone();
    // One write of the batch: a refusal (unusable lot, warning to confirm) rolls back alone.
    crate::work::write(state, work_actor, move |work| {
        Box::pin(async move {
            // Retries with this key wait here for the first write, then find its answer.
            work.guard(crate::work::Subject::IdempotencyKey(&key))
                .await?;
            let (txn, now) = (work.db(), work.now());
            let actor = &actor;
            // Under the key's lock: a parallel retry that committed first is seen here, so the
            // same act is never written twice. SQLite's one writer knows whether such a retry
            // went through it since the look-up above; only then is the key read again.
            let look = writer.as_ref().is_none_or(|w| w.seen_lately(&key));
            if look
                && let Some(answer) =
                    idempotency::replay(txn, &key, &principal, &fingerprint).await?
            {
                return Ok(Landed {
                    answer,
                    flags: Vec::new(),
                });
            }
            let offline = match &arrival {
                Arrival::Online => None,
                Arrival::Offline(o) => Some(o.as_ref()),
            };
            let mut flags = Vec::new();
            if offline.is_some_and(|o| o.revoked_since) {
                flags.push(ReviewReason::PermitRevoked);
            }
            // The permit's entries: one atomic statement, the N+1th refused.
            if let Some(o) = offline
                && !take_permit_entry(txn, o.permit).await?
            {
                return Err(AppError::with_message(
                    ErrorCode::PermitInvalid,
                    "Autorisation hors ligne épuisée : toutes ses saisies sont utilisées.",
                ));
            }
            let (patient, created) = match &req.patient {
                PatientRef::Existing { id } => (visible_patient(txn, actor, *id).await?, false),
                PatientRef::New(new) => {
                    let nir = Nir::parse_with(
                        new.nir.as_str(),
                        NirContext {
                            sex: Some(new.sex),
                            birth_date: Some(new.birth_date),
                        },
                    )?;
                    check_birth_date(new.birth_date, now)?;
                    // One statement: of two writes for the same new person in parallel, the
                    // second gets the first one's row back (the NIR is unique; the conflict
                    // "updates" the NIR to itself so that the row is returned).
                    let new_id = Uuid::new_v4();
                    let p = patient::Entity::insert(patient::ActiveModel {
                        id: Set(new_id),
                        nir_key: Set(work.state().nir_fingerprint.of(nir.as_str())),
                        nir_masked: Set(mask_nir(nir.as_str())),
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
                    .on_conflict(
                        sea_orm::sea_query::OnConflict::column(patient::Column::NirKey)
                            .update_column(patient::Column::NirKey)
                            .to_owned(),
                    )
                    .exec_with_returning(txn)
                    .await?;
                    let created = p.id == new_id;
                    if !created {
                        // Typed anew with the full NIR: the same person, whose file opens.
                        grant(txn, now, actor, p.id).await?;
                    }
                    (p, created)
                }
            };

            let c = &req.consultation;
            let consultation = consultation::Model {
                id: Uuid::new_v4(),
                patient_id: patient.id,
                structure_id: structure.id,
                professional_id: actor.professional_id,
                staff_member_id: actor.staff_member_id,
                session_id: actor.session_id,
                terminal_id: actor.terminal_id,
                eligible: c.eligible,
                contraindications: c.contraindications.trim().chars().take(2000).collect(),
                consent: c.consent,
                outcome: c.outcome,
                postpone_reason: c.postpone_reason.as_ref().map(|r| r.trim().to_owned()),
                created_at: now,
            };
            consultation::Entity::insert(consultation.clone().into_active_model())
                .exec_without_returning(txn)
                .await?;

            let injection = match (&req.injection, product, lot) {
                (Some(input), Some(product), Some(lot)) => {
                    // To the microsecond, as stored: the answer equals the row read back. An
                    // offline entry without a time was given when the device saved it.
                    let default_at = offline.map_or(now, |o| o.device_time);
                    let at = chrono::SubsecRound::trunc_subsecs(
                        input.administered_at.unwrap_or(default_at),
                        6,
                    );
                    check_injection_date(at, now, patient.birth_date)?;
                    // A person created by this very write has no earlier dose to read.
                    let history = if created {
                        Vec::new()
                    } else {
                        injections_of(txn, patient.id).await?
                    };
                    let a = assess(&products, &history, product, patient.birth_date, at);
                    let unconfirmed: Vec<&str> = a
                        .warnings
                        .iter()
                        .filter(|w| !input.confirmed_warnings.contains(&w.code))
                        .map(|w| w.message.as_str())
                        .collect();
                    if !unconfirmed.is_empty() {
                        if offline.is_none() {
                            return Err(AppError::with_message(
                                ErrorCode::ConfirmationRequired,
                                format!("À confirmer : {}", unconfirmed.join(" ")),
                            ));
                        }
                        flags.push(ReviewReason::UnconfirmedWarnings);
                    }
                    if let Some(expected) = offline.and_then(|o| o.expected_dose_number)
                        && expected != a.rank.number
                    {
                        flags.push(ReviewReason::HistoryChanged);
                    }
                    let confirmed: Vec<WarningCode> = a.warnings.iter().map(|w| w.code).collect();
                    let row = injection::Model {
                        id: Uuid::new_v4(),
                        patient_id: patient.id,
                        consultation_id: Some(consultation.id),
                        structure_id: structure.id,
                        product_id: a.product.id,
                        lot_id: lot.id,
                        dose_number: a.rank.number,
                        series_doses: a.rank.series,
                        booster: a.rank.booster,
                        site: input.site,
                        administered_at: at,
                        professional_id: actor.professional_id,
                        staff_member_id: actor.staff_member_id,
                        session_id: actor.session_id,
                        terminal_id: actor.terminal_id,
                        esms_finess: patient.esms_finess.clone(),
                        status: InjectionStatus::Valid,
                        version: 1,
                        confirmed_warnings: serde_json::to_string(&confirmed)
                            .map_err(AppError::internal)?,
                        created_at: now,
                        updated_at: now,
                        contested_at: None,
                        contest_reason: None,
                        contested_by: None,
                        place_kind: place.as_ref().map(|(kind, _)| kind.clone()),
                        place_address: place.as_ref().map(|(_, address)| address.clone()),
                    };
                    // One dose leaves the lot, only if it is at this moment active, not expired
                    // on the injection's day and not empty. Online, a lot withdrawn, expired or
                    // emptied a moment ago refuses the dose; offline, the dose was given: it is
                    // recorded, flagged.
                    match take_dose(txn, lot.id, paris_day(at)).await? {
                        DoseTaken::Taken => {}
                        refused if offline.is_some() => flags.push(match refused {
                            DoseTaken::Exhausted => ReviewReason::LotExhausted,
                            _ => ReviewReason::LotUnusable,
                        }),
                        DoseTaken::Exhausted => return Err(ErrorCode::LotExhausted.into()),
                        DoseTaken::Unusable => return Err(ErrorCode::LotUnusable.into()),
                    }
                    injection::Entity::insert(row.clone().into_active_model())
                        .exec_without_returning(txn)
                        .await?;
                    Some((row, a.product, lot))
                }
                _ => None,
            };
            // Everything the answer names is at hand: no read back.
            let injection_view = injection.as_ref().map(|(row, product, lot)| {
                view(
                    row.clone(),
                    product,
                    Names {
                        lot_number: Some(lot.number.clone()),
                        structure: Some(&structure),
                        vaccinator: Some(actor.professional_name.clone()),
                        typed_by: actor.typist_name.clone(),
                        adverse_effects_declared: 0,
                    },
                )
            });
            let delegated = match &injection {
                Some((row, product, lot)) if actor.staff_member_id.is_some() => {
                    Some(Box::new(DelegatedEntry {
                        injection_id: row.id,
                        session_id: row.session_id,
                        patient_name: format!("{} {}", patient.given_names, patient.family_name),
                        patient_birth_date: patient.birth_date,
                        product_name: product.name.clone(),
                        lot_number: lot.number.clone(),
                        dose_number: row.dose_number,
                        administered_at: row.administered_at,
                        recorded_at: row.created_at,
                        status: row.status,
                        contest: None,
                    }))
                }
                _ => None,
            };
            let offline = offline.map(|o| {
                Box::new(OfflineOrigin {
                    permit: o.permit,
                    device: o.device,
                    device_time: o.device_time,
                    received_at: now,
                    flagged: flags.clone(),
                })
            });
            // Audit and, for a delegate's entry, the supervising professional's live screen.
            work.emit(DomainEvent::VaccinationRecorded {
                patient: patient.id,
                consultation: consultation.id,
                injection: injection.as_ref().map(|(row, ..)| row.id),
                structure: structure.id,
                delegated,
                injected: injection.as_ref().map(|(row, ..)| {
                    Box::new(Injected {
                        patient: patient.clone(),
                        injection: row.clone(),
                    })
                }),
                offline,
            });
            let answer = VaccinationRecorded {
                patient_id: patient.id,
                consultation_id: consultation.id,
                injection: injection_view,
            };
            idempotency::store(work.db(), now, &key, &principal, &fingerprint, &answer).await?;
            if let Arrival::Offline(o) = &arrival {
                super::offline::keep_entry(
                    work.db(),
                    now,
                    actor,
                    o,
                    req.idempotency_key,
                    super::offline::Kept {
                        flags: &flags,
                        message: None,
                        patient: Some(patient.id),
                        injection: answer.injection.as_ref().map(|i| i.id),
                    },
                    Some(&answer),
                )
                .await?;
            }
            Ok(Landed { answer, flags })
        })
    })
    .await
}

/// Takes one entry from an offline permit: one statement, so that of any number of entries
/// synced at once, exactly the permit's allowance lands.
async fn take_permit_entry(db: &impl ConnectionTrait, permit: Uuid) -> AppResult<bool> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let taken = offline_permit::Entity::update_many()
        .col_expr(
            offline_permit::Column::UsedEntries,
            Expr::col(offline_permit::Column::UsedEntries).add(1),
        )
        .filter(offline_permit::Column::Id.eq(permit))
        .filter(
            Expr::col(offline_permit::Column::UsedEntries)
                .lt(Expr::col(offline_permit::Column::MaxEntries)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Puts one dose back in a lot's stock (a correction moved it to another lot).
async fn give_back_dose(db: &impl ConnectionTrait, lot: Uuid) -> AppResult<()> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    vaccine_lot::Entity::update_many()
        .col_expr(
            vaccine_lot::Column::DosesUsed,
            Expr::col(vaccine_lot::Column::DosesUsed).sub(1),
        )
        .filter(vaccine_lot::Column::Id.eq(lot))
        .filter(vaccine_lot::Column::DosesUsed.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

enum DoseTaken {
    Taken,
    /// Withdrawn, or expired on the injection's day.
    Unusable,
    /// Every dose received is used or wasted.
    Exhausted,
}

/// Takes one dose from the lot if it is, at this moment, active, not expired on the injection's
/// day and not empty: one statement (`UPDATE … WHERE`), so that injections in parallel never
/// take more doses than the lot received. A lot registered without a quantity is not counted.
async fn take_dose(db: &impl ConnectionTrait, lot: Uuid, day: NaiveDate) -> AppResult<DoseTaken> {
    use sea_orm::sea_query::{Condition, Expr, ExprTrait};
    let taken = vaccine_lot::Entity::update_many()
        .col_expr(
            vaccine_lot::Column::DosesUsed,
            Expr::col(vaccine_lot::Column::DosesUsed).add(1),
        )
        .filter(vaccine_lot::Column::Id.eq(lot))
        .filter(vaccine_lot::Column::Active.eq(true))
        .filter(vaccine_lot::Column::ExpiresOn.gte(day))
        .filter(
            Condition::any()
                .add(vaccine_lot::Column::DosesReceived.is_null())
                .add(
                    Expr::col(vaccine_lot::Column::DosesUsed)
                        .add(Expr::col(vaccine_lot::Column::DosesWasted))
                        .lt(Expr::col(vaccine_lot::Column::DosesReceived)),
                ),
        )
        .exec(db)
        .await?;
    if taken.rows_affected == 1 {
        return Ok(DoseTaken::Taken);
    }
    // Refused: say why (read inside the same transaction).
    let now = vaccine_lot::Entity::find_by_id(lot).one(db).await?;
    Ok(match now {
        Some(l) if l.active && l.expires_on >= day => DoseTaken::Exhausted,
        _ => DoseTaken::Unusable,
    })
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

/// Loads an injection the actor may change: theirs (author or responsible), within 24 h and
/// still valid. Not theirs: 403 `not_your_entry`; closed or invalidated: 409 `correction_closed`.
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
    // A delegate changes only what they typed under this session's professional: an entry
    // typed under another professional's authority is that professional's to answer for.
    let author = row.professional_id == actor.professional_id
        && match actor.staff_member_id {
            Some(staff) => row.staff_member_id == Some(staff),
            None => true,
        };
    // A right first (403, whatever the entry's state), then the entry's state (409).
    if !author {
        return Err(ErrorCode::NotYourEntry.into());
    }
    if now >= row.created_at + CORRECTION_WINDOW || row.status == InjectionStatus::Invalidated {
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

/// The author's injection, still open to change, once its current version is kept.
async fn revised(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    actor: &Actor,
    id: Uuid,
    change: &str,
    reason: &str,
) -> AppResult<injection::Model> {
    let row = correctable(txn, actor, now, id).await?;
    let by = (principal_key(actor), actor.session_id);
    keep_revision(txn, now, by, &row, change, reason).await?;
    Ok(row)
}

pub async fn correct(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    change: InjectionCorrection,
) -> AppResult<InjectionView> {
    let reason = check_reason(&change.reason)?;
    let who = actor.clone();
    crate::work::write(state, actor.acting(), move |work| {
        Box::pin(async move {
            let (txn, now, actor) = (work.db(), work.now(), &who);
            let row = revised(txn, now, actor, id, "correction", &reason).await?;
            let mut next = row.clone().into_active_model();
            if let Some(lot_id) = change.lot_id
                && lot_id != row.lot_id
            {
                let at = change.administered_at.unwrap_or(row.administered_at);
                let same_kind = vaccine_lot::Entity::find_by_id(lot_id)
                    .one(txn)
                    .await?
                    .is_some_and(|l| {
                        l.structure_id == row.structure_id && l.product_id == row.product_id
                    });
                if !same_kind {
                    return Err(ErrorCode::LotUnusable.into());
                }
                // The dose moves from one lot's stock to the other's.
                match take_dose(txn, lot_id, paris_day(at)).await? {
                    DoseTaken::Taken => give_back_dose(txn, row.lot_id).await?,
                    DoseTaken::Exhausted => return Err(ErrorCode::LotExhausted.into()),
                    DoseTaken::Unusable => return Err(ErrorCode::LotUnusable.into()),
                }
                next.lot_id = Set(lot_id);
            }
            if let Some(site) = change.site {
                next.site = Set(site);
            }
            if let Some(at) = change.administered_at {
                let birth = patient::Entity::find_by_id(row.patient_id)
                    .one(txn)
                    .await?
                    .ok_or_else(|| AppError::internal("injection of an unknown patient"))?
                    .birth_date;
                check_injection_date(at, now, birth)?;
                next.administered_at = Set(at);
            }
            next.version = Set(row.version + 1);
            next.updated_at = Set(now);
            let updated = next.update(txn).await?;
            let view = views(txn, vec![updated.clone()])
                .await?
                .pop()
                .ok_or_else(|| AppError::internal("view of a corrected injection"))?;
            // Audited, and moved in the open-data counts if its day or product changed.
            work.emit(DomainEvent::InjectionCorrected {
                before: Box::new(row),
                after: Box::new(updated),
            });
            Ok(view)
        })
    })
    .await
}

pub async fn invalidate(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    reason: &str,
) -> AppResult<InjectionView> {
    let reason = check_reason(reason)?;
    let who = actor.clone();
    crate::work::write(state, actor.acting(), move |work| {
        Box::pin(async move {
            let (txn, now, actor) = (work.db(), work.now(), &who);
            let row = revised(txn, now, actor, id, "invalidation", &reason).await?;
            let mut next = row.clone().into_active_model();
            next.status = Set(InjectionStatus::Invalidated);
            next.version = Set(row.version + 1);
            next.updated_at = Set(now);
            let updated = next.update(txn).await?;
            let view = views(txn, vec![updated])
                .await?
                .pop()
                .ok_or_else(|| AppError::internal("view of an invalidated injection"))?;
            // Audited, and no longer counted in the open data.
            work.emit(DomainEvent::InjectionInvalidated {
                before: Box::new(row),
            });
            Ok(view)
        })
    })
    .await
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
    let declared = Uuid::new_v4();
    let (injection, patient) = (row.id, row.patient_id);
    let (description, declared_by, session) = (
        description.to_owned(),
        principal_key(actor),
        actor.session_id,
    );
    crate::work::write(state, actor.acting(), move |work| {
        Box::pin(async move {
            adverse_effect::Entity::insert(adverse_effect::ActiveModel {
                id: Set(declared),
                injection_id: Set(injection),
                patient_id: Set(patient),
                description: Set(description),
                declared_by: Set(declared_by),
                session_id: Set(session),
                declared_at: Set(work.now()),
            })
            .exec_without_returning(work.db())
            .await?;
            work.emit(DomainEvent::AdverseEffectDeclared { injection });
            Ok(())
        })
    })
    .await?;
    Ok(AdverseEffectRecorded {
        id: declared,
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
    fn only_sex_and_birth_year_and_month_of_the_nir_are_shown() {
        assert_eq!(mask_nir("255081416802538"), "2 55 08 ** *** *** **");
        // Corsica: the department is hidden like any other.
        assert_eq!(mask_nir("184052A01234512"), "1 84 05 ** *** *** **");
        assert_eq!(mask_nir("2550"), "***");
        assert_eq!(mask_nir(""), "***");
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
