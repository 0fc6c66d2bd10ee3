//! Recording vaccinations (professionals; delegates join with the delegation issue). NIRs travel
//! only in POST bodies; patients are addressed by an opaque id.

use crate::http::params::ApiPath;
use axum::{Json, extract::State, http::header, response::IntoResponse};
use uuid::Uuid;
use vigie_shared::{
    ApiError,
    api::vaccination::{
        AdverseEffectDeclaration, AdverseEffectRecorded, CertificateView, DosePreview,
        DosePreviewRequest, InjectionCorrection, InjectionInvalidation, InjectionRevisionView,
        InjectionView, NewVaccination, OwnPracticeInput, PatientFile, PatientLookup,
        PatientLookupResult, PatientSearch, PatientSummary, ProductView, StructureView,
        VaccinationContext, VaccinationRecorded,
    },
};

use crate::{
    access::Actor,
    certificates,
    entities::{structure, vaccine_product},
    error::AppResult,
    http::json::ApiJson,
    state::AppState,
    vaccination::{lots, practice, service},
};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// My structures with their lots, and the vaccine catalogue.
#[utoipa::path(get, path = "/api/vaccination/context", tag = "vaccination",
    responses((status = 200, body = VaccinationContext), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn context(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<VaccinationContext>> {
    let ids = actor.structures(&state.db).await?;
    let mut structures = Vec::new();
    // The structures first, the professional's own practice last.
    for s in structure::Entity::find()
        .filter(structure::Column::Id.is_in(ids))
        .order_by_asc(structure::Column::OwnerProfessionalId.is_not_null())
        .order_by_asc(structure::Column::Name)
        .all(&state.db)
        .await?
    {
        let own_practice = s.owner_professional_id.is_some();
        structures.push(StructureView {
            lots: lots::list_of(&state.db, s.id).await?,
            id: s.id,
            // An own practice has no FINESS: its stored key is internal.
            finess: if own_practice {
                String::new()
            } else {
                s.finess
            },
            name: s.name,
            own_practice,
        });
    }
    let products = vaccine_product::Entity::find()
        .order_by_desc(vaccine_product::Column::Active)
        .order_by_asc(vaccine_product::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| ProductView {
            code: p.code,
            name: p.name,
            manufacturer: p.manufacturer,
            eu_authorisation: p.eu_authorisation,
            doses_in_schedule: p.doses_in_schedule,
            min_interval_days: p.min_interval_days,
            min_age_years: p.min_age_years,
            active: p.active,
        })
        .collect();
    Ok(Json(VaccinationContext {
        structures,
        products,
    }))
}

/// Finds a patient by full NIR (in the body, never the URL); opens the file for this session.
#[utoipa::path(post, path = "/api/patients/lookup", tag = "vaccination",
    request_body = PatientLookup,
    responses((status = 200, body = PatientLookupResult), (status = 400, description = "NIR mal formé", body = ApiError),
        (status = 429, description = "Plus de `patient_lookups_per_hour` recherches de patients (par NIR ou par nom, 120 par défaut) en une heure (`rate_limited`)", body = ApiError)))]
pub async fn lookup(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<PatientLookup>,
) -> AppResult<Json<PatientLookupResult>> {
    let patient = service::lookup(&state, &actor, &body.nir).await?;
    Ok(Json(PatientLookupResult { patient }))
}

/// Patients I may see, by family name (beginning) and birth date. Counted with the look-ups
/// by NIR.
#[utoipa::path(post, path = "/api/patients/search", tag = "vaccination",
    request_body = PatientSearch,
    responses((status = 200, body = [PatientSummary]),
        (status = 429, description = "Plus de `patient_lookups_per_hour` recherches de patients (par NIR ou par nom, 120 par défaut) en une heure (`rate_limited`)", body = ApiError)))]
pub async fn search(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<PatientSearch>,
) -> AppResult<Json<Vec<PatientSummary>>> {
    Ok(Json(
        service::search(&state, &actor, &body.family_name, body.birth_date).await?,
    ))
}

/// A patient's file and every injection, across structures.
#[utoipa::path(get, path = "/api/patients/{id}", tag = "vaccination",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PatientFile), (status = 404, description = "Inconnu, ou pas un de mes patients", body = ApiError)))]
pub async fn patient(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<PatientFile>> {
    Ok(Json(service::file(&state, &actor, id).await?))
}

/// The next dose: rank, warnings, and defaults to prefill (product, lot of the day, site).
#[utoipa::path(post, path = "/api/vaccinations/preview", tag = "vaccination",
    request_body = DosePreviewRequest,
    responses((status = 200, body = DosePreview)))]
pub async fn preview(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<DosePreviewRequest>,
) -> AppResult<Json<DosePreview>> {
    Ok(Json(service::preview(&state, &actor, &body).await?))
}

/// Records a consultation and its injection in one idempotent write (same key, same answer).
#[utoipa::path(post, path = "/api/vaccinations", tag = "vaccination",
    request_body = NewVaccination,
    responses(
        (status = 200, description = "Enregistré (ou déjà enregistré sous cette clé)", body = VaccinationRecorded),
        (status = 400, description = "Saisie invalide, lot inutilisable", body = ApiError),
        (status = 409, description = "Avertissements à confirmer, ou clé réutilisée", body = ApiError),
    ))]
pub async fn record(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<NewVaccination>,
) -> AppResult<Json<VaccinationRecorded>> {
    Ok(Json(service::record(&state, &actor, body).await?))
}

/// Corrects an injection within 24 h (author or responsible professional); the earlier version is kept.
#[utoipa::path(post, path = "/api/injections/{id}/correct", tag = "vaccination",
    params(("id" = Uuid, Path)), request_body = InjectionCorrection,
    responses((status = 200, body = InjectionView),
        (status = 403, description = "Saisie d'un autre professionnel ou d'un autre auteur (`not_your_entry`), compte sans accès aux patients, session déléguée requise, ou demande venue d'ailleurs que les pages de Vigie", body = ApiError),
        (status = 409, description = "Plus de 24 heures après la saisie, ou saisie déjà invalidée (`correction_closed`)", body = ApiError)))]
pub async fn correct(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<InjectionCorrection>,
) -> AppResult<Json<InjectionView>> {
    Ok(Json(service::correct(&state, &actor, id, body).await?))
}

/// Invalidates an injection within 24 h, with a reason; the earlier version is kept.
#[utoipa::path(post, path = "/api/injections/{id}/invalidate", tag = "vaccination",
    params(("id" = Uuid, Path)), request_body = InjectionInvalidation,
    responses((status = 200, body = InjectionView),
        (status = 403, description = "Saisie d'un autre professionnel ou d'un autre auteur (`not_your_entry`), compte sans accès aux patients, session déléguée requise, ou demande venue d'ailleurs que les pages de Vigie", body = ApiError),
        (status = 409, description = "Plus de 24 heures après la saisie, ou saisie déjà invalidée (`correction_closed`)", body = ApiError)))]
pub async fn invalidate(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<InjectionInvalidation>,
) -> AppResult<Json<InjectionView>> {
    Ok(Json(
        service::invalidate(&state, &actor, id, &body.reason).await?,
    ))
}

/// The earlier versions of an injection.
#[utoipa::path(get, path = "/api/injections/{id}/revisions", tag = "vaccination",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = [InjectionRevisionView]), (status = 404, body = ApiError)))]
pub async fn revisions(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Vec<InjectionRevisionView>>> {
    Ok(Json(service::revisions(&state, &actor, id).await?))
}

/// Records that an adverse effect is being declared; answers with the national portal's
/// address and the context to copy there.
#[utoipa::path(post, path = "/api/injections/{id}/adverse-effects", tag = "vaccination",
    params(("id" = Uuid, Path)), request_body = AdverseEffectDeclaration,
    responses((status = 200, body = AdverseEffectRecorded), (status = 404, body = ApiError)))]
pub async fn adverse_effect(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AdverseEffectDeclaration>,
) -> AppResult<Json<AdverseEffectRecorded>> {
    Ok(Json(
        service::declare_adverse_effect(&state, &actor, id, &body.description).await?,
    ))
}

/// The patient's EU Digital COVID Certificate (QR) for the recap page.
#[utoipa::path(get, path = "/api/patients/{id}/certificate", tag = "vaccination",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CertificateView), (status = 404, body = ApiError)))]
pub async fn certificate(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<CertificateView>> {
    Ok(Json(
        certificates::bilan(
            &state,
            service::read(&state, &actor, id, "certificate").await?,
        )
        .await?
        .certificate,
    ))
}

/// The recap as a PDF (A4), with the certificate's QR code.
#[utoipa::path(get, path = "/api/patients/{id}/recap.pdf", tag = "vaccination",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "Récapitulatif PDF (A4)", content_type = "application/pdf"), (status = 404, body = ApiError)))]
pub async fn recap_pdf(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<impl IntoResponse> {
    let file = service::read(&state, &actor, id, "recap").await?;
    let pdf = certificates::recap_pdf(&state, &actor, file).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"bilan-vaccination.pdf\"",
            ),
        ],
        pdf,
    ))
}

/// Declares my own practice (no structure) or updates its address: its lots are my personal
/// stock, and doses recorded under it state their place.
#[utoipa::path(put, path = "/api/vaccination/own-practice", tag = "vaccination",
    request_body = OwnPracticeInput,
    responses((status = 200, body = StructureView), (status = 400, body = ApiError),
        (status = 403, description = "Un délégué saisit dans la structure de sa session", body = ApiError)))]
pub async fn own_practice(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<OwnPracticeInput>,
) -> AppResult<Json<StructureView>> {
    Ok(Json(practice::declare(&state, &actor, &body).await?))
}
