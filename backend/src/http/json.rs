//! `ApiJson<T>`: a JSON body extractor whose refusals are `ApiError`s in French, naming the
//! field at fault. Identifier types refuse with their own French message.

use axum::{
    extract::{FromRequest, Request},
    http::header,
};
use vigie_shared::ErrorCode;

use crate::error::AppError;

pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        if !is_json {
            return Err(ErrorCode::UnsupportedMediaType.into());
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::code(ErrorCode::PayloadTooLarge)
                } else {
                    AppError::code(ErrorCode::MalformedJson)
                }
            })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(value) => Ok(ApiJson(value)),
            Err(err) => Err(french(err)),
        }
    }
}

fn french(err: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = err.path().to_string();
    let inner = err.inner();
    if !inner.is_data() {
        return AppError::with_message(
            ErrorCode::MalformedJson,
            "Le corps de la requête n'est pas un JSON valide.",
        );
    }
    // serde_json appends " at line L column C"; keep only the reason.
    let reason = inner.to_string();
    let reason = reason
        .rsplit_once(" at line ")
        .map_or(reason.as_str(), |(r, _)| r);
    let message = if let Some(field) = reason.strip_prefix("missing field ") {
        format!("Champ obligatoire manquant : {}.", field.trim_matches('`'))
    } else if reason.starts_with("unknown field") {
        format!("Champ inconnu : {path}.")
    } else if reason.starts_with("invalid type")
        || reason.starts_with("invalid value")
        || reason.starts_with("invalid length")
    {
        format!("Valeur invalide pour le champ « {path} ».")
    } else if reason.starts_with("unknown variant") {
        format!("Valeur non reconnue pour le champ « {path} ».")
    } else {
        // Our own parse errors (identifiers) are already French sentences.
        reason.to_owned()
    };
    let code = if vigie_shared::IdError::NAMES
        .iter()
        .any(|name| reason.starts_with(name))
    {
        ErrorCode::InvalidIdentifier
    } else {
        ErrorCode::InvalidInput
    };
    AppError::with_message(code, message)
}
