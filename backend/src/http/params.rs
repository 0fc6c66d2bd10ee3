//! `ApiPath<T>` and `ApiQuery<T>`: path and query extractors whose refusals are JSON `ApiError`s
//! in French (axum's own answer a plain-text 400), like every other 4xx of the API.

use axum::{
    extract::{FromRequestParts, Path, Query},
    http::request::Parts,
};
use vigie_shared::ErrorCode;

use crate::error::AppError;

pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(_) => Err(AppError::with_message(
                ErrorCode::InvalidInput,
                "Identifiant invalide dans l'adresse : un identifiant Vigie (UUID) est attendu.",
            )),
        }
    }
}

pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(_) => Err(AppError::with_message(
                ErrorCode::InvalidInput,
                "Paramètres de l'adresse invalides.",
            )),
        }
    }
}
