//! One error type for every handler. Users get the stable code and a French sentence; the
//! internal cause is logged (without secrets), never sent.

use axum::{
    Json,
    extract::rejection::JsonRejection,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use vigie_shared::{ApiError, ErrorCode, IdError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Api(ApiError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn code(code: ErrorCode) -> Self {
        Self::Api(code.into())
    }

    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Api(ApiError::new(code, message))
    }

    pub fn internal(context: impl std::fmt::Display) -> Self {
        Self::Internal(context.to_string())
    }
}

impl From<ErrorCode> for AppError {
    fn from(code: ErrorCode) -> Self {
        Self::code(code)
    }
}

impl From<IdError> for AppError {
    fn from(e: IdError) -> Self {
        Self::Api(e.into())
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge.into(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType.into(),
            _ => ErrorCode::MalformedJson.into(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = match self {
            AppError::Api(api) => api,
            AppError::Database(e) => {
                tracing::error!(error = %e, "database error");
                let code = if is_connection_error(&e) {
                    ErrorCode::DatabaseUnavailable
                } else {
                    ErrorCode::Internal
                };
                code.into()
            }
            AppError::Internal(context) => {
                tracing::error!(%context, "internal error");
                ErrorCode::Internal.into()
            }
        };
        let status =
            StatusCode::from_u16(body.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}

fn is_connection_error(e: &sea_orm::DbErr) -> bool {
    matches!(
        e,
        sea_orm::DbErr::Conn(_) | sea_orm::DbErr::ConnectionAcquire(_)
    )
}

pub type AppResult<T> = Result<T, AppError>;
