//! Activation of the approver app on a phone.

use axum::{Json, extract::State};
use vigie_shared::{
    ApiError,
    api::activation::{
        ActivationGranted, ActivationQr, ActivationStart, ActivationStarted, ActivationVerify,
    },
};

use crate::{
    activation,
    auth::session::{Client, SignedIn},
    error::AppResult,
    http::json::ApiJson,
    state::AppState,
};

/// Sends the activation link (e-mail) and code (SMS) when the directory has both. The answer
/// is the same for every identifier.
#[utoipa::path(post, path = "/api/activation", tag = "activation",
    request_body = ActivationStart,
    responses((status = 200, body = ActivationStarted), (status = 400, body = ApiError),
        (status = 429, description = "Trop de demandes d'activation depuis cette adresse (`rate_limited`)", body = ApiError)))]
pub async fn start(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<ActivationStart>,
) -> AppResult<Json<ActivationStarted>> {
    // Counted per address (an IPv6 client per /64).
    let address = client.counted.unwrap_or_else(|| "inconnue".into());
    Ok(Json(
        activation::start(&state, &body.national_id, &address).await?,
    ))
}

/// Link token + SMS code → permission to create a passkey on this phone.
#[utoipa::path(post, path = "/api/activation/verify", tag = "activation",
    request_body = ActivationVerify,
    responses((status = 200, body = ActivationGranted), (status = 400, body = ApiError), (status = 429, body = ApiError)))]
pub async fn verify(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ActivationVerify>,
) -> AppResult<Json<ActivationGranted>> {
    Ok(Json(
        activation::verify(&state, &body.link_token, &body.sms_code).await?,
    ))
}

/// A 90-second QR code letting a phone create its passkey (passkey sessions only).
#[utoipa::path(post, path = "/api/activation/qr", tag = "activation",
    responses((status = 200, body = ActivationQr), (status = 401, body = ApiError), (status = 403, body = ApiError)))]
pub async fn qr(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> AppResult<Json<ActivationQr>> {
    Ok(Json(activation::qr(&state, &signed_in).await?))
}
