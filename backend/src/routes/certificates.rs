//! Public: the key that signs certificates, and the verification of a certificate.

use axum::{Json, extract::State};
use vigie_shared::{
    ApiError,
    api::vaccination::{CertificateCheck, CertificateVerified, SigningCertificate},
};

use crate::{
    auth::session::Client, certificates, error::AppResult, http::json::ApiJson, state::AppState,
};

/// The published signing certificate (PEM) and its key identifier.
#[utoipa::path(get, path = "/api/certificates/signing-certificate", tag = "certificats",
    responses((status = 200, body = SigningCertificate)))]
pub async fn signing_certificate(State(state): State<AppState>) -> Json<SigningCertificate> {
    Json(certificates::signing_certificate(&state))
}

/// Verifies a pasted or scanned certificate (`HC1:…`) and says what it holds. No sign-in.
#[utoipa::path(post, path = "/api/certificates/verify", tag = "certificats",
    request_body = CertificateCheck,
    responses((status = 200, body = CertificateVerified), (status = 400, description = "Certificat illisible, altéré ou d'un autre émetteur", body = ApiError),
        (status = 429, description = "Trop de vérifications depuis cette adresse en une heure (`rate_limited`)", body = ApiError)))]
pub async fn verify(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<CertificateCheck>,
) -> AppResult<Json<CertificateVerified>> {
    // Counted per address (an IPv6 client per /64).
    let address = client.counted.unwrap_or_else(|| "inconnue".into());
    Ok(Json(
        certificates::verify(&state, &body.payload, &address).await?,
    ))
}
