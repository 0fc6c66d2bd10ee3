//! Calls of the vaccination API. NIRs go in POST bodies only; patients are opaque ids.

use uuid::Uuid;
use vigie_shared::{
    Nir,
    api::vaccination::{
        AdverseEffectDeclaration, AdverseEffectRecorded, CertificateCheck, CertificateVerified,
        CertificateView, DosePreview, DosePreviewRequest, InjectionCorrection,
        InjectionInvalidation, InjectionView, NewVaccination, PatientFile, PatientLookup,
        PatientLookupResult, PatientSearch, PatientSummary, VaccinationContext,
        VaccinationRecorded,
    },
};

use crate::api::{ApiResult, get, post};

pub async fn context() -> ApiResult<VaccinationContext> {
    get("/api/vaccination/context").await
}

pub async fn lookup(nir: Nir) -> ApiResult<PatientLookupResult> {
    post("/api/patients/lookup", &PatientLookup { nir }).await
}

pub async fn search(body: &PatientSearch) -> ApiResult<Vec<PatientSummary>> {
    post("/api/patients/search", body).await
}

pub async fn patient(id: Uuid) -> ApiResult<PatientFile> {
    get(&format!("/api/patients/{id}")).await
}

pub async fn preview(request: &DosePreviewRequest) -> ApiResult<DosePreview> {
    post("/api/vaccinations/preview", request).await
}

pub async fn record(body: &NewVaccination) -> ApiResult<VaccinationRecorded> {
    post("/api/vaccinations", body).await
}

pub async fn invalidate(id: Uuid, reason: String) -> ApiResult<InjectionView> {
    post(
        &format!("/api/injections/{id}/invalidate"),
        &InjectionInvalidation { reason },
    )
    .await
}

/// Corrects the lot, site or time of an injection (within 24 h, with a reason).
pub async fn correct(id: Uuid, correction: &InjectionCorrection) -> ApiResult<InjectionView> {
    post(&format!("/api/injections/{id}/correct"), correction).await
}

pub async fn adverse_effect(id: Uuid, description: String) -> ApiResult<AdverseEffectRecorded> {
    post(
        &format!("/api/injections/{id}/adverse-effects"),
        &AdverseEffectDeclaration { description },
    )
    .await
}

pub async fn certificate(patient: Uuid) -> ApiResult<CertificateView> {
    get(&format!("/api/patients/{patient}/certificate")).await
}

pub fn recap_pdf_url(patient: Uuid) -> String {
    format!("/api/patients/{patient}/recap.pdf")
}

pub async fn verify(payload: String) -> ApiResult<CertificateVerified> {
    post("/api/certificates/verify", &CertificateCheck { payload }).await
}
