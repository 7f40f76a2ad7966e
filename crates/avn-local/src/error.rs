//! API errors: Aiven's body shape and status codes. Internal details are logged, not returned.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{1}")]
    Status(StatusCode, String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(m: impl Into<String>) -> Self {
        ApiError::Status(StatusCode::BAD_REQUEST, m.into())
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        ApiError::Status(StatusCode::NOT_FOUND, m.into())
    }
    pub fn conflict(m: impl Into<String>) -> Self {
        ApiError::Status(StatusCode::CONFLICT, m.into())
    }
    pub fn forbidden(m: impl Into<String>) -> Self {
        ApiError::Status(StatusCode::FORBIDDEN, m.into())
    }
    pub fn unauthorized() -> Self {
        ApiError::Status(StatusCode::UNAUTHORIZED, "Invalid token".into())
    }
    pub fn internal(m: impl std::fmt::Display) -> Self {
        ApiError::Internal(m.to_string())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(format!("state store: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::Status(s, m) => (s, m),
            ApiError::Internal(detail) => {
                tracing::error!("{detail}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error in the local control plane; see its log".to_string(),
                )
            }
        };
        (status, Json(avn_api::ErrorBody::new(status.as_u16(), message))).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
