//! The one mapping from the control plane's errors to Aiven's error body and HTTP status codes.
//! Internal details are logged, not returned.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Json;

use crate::engines::postgres::ClusterError;
use crate::engines::EngineError;
use crate::error::OpError;
use crate::error::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The caller's error (or a refusal): status and the message to show.
    #[error("{1}")]
    Status(StatusCode, String),
    #[error("internal error: {0}")]
    Internal(OpError),
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
    pub fn unauthorized() -> Self {
        ApiError::Status(StatusCode::UNAUTHORIZED, "Invalid token".into())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<ClusterError> for ApiError {
    fn from(e: ClusterError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Valkey(crate::engines::valkey::ValkeyError::NotApplicable(m)) => {
                ApiError::Status(StatusCode::BAD_REQUEST, m)
            }
            e => ApiError::Internal(e.into()),
        }
    }
}

impl From<crate::catalog::ConfigError> for ApiError {
    fn from(e: crate::catalog::ConfigError) -> Self {
        ApiError::bad_request(e.to_string())
    }
}

/// A refusal gets its status and its words; any other failure is an internal error, logged.
impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::Refused(r) => {
                let status = match &r {
                    Refusal::Invalid(_) => StatusCode::BAD_REQUEST,
                    Refusal::NotFound(_) => StatusCode::NOT_FOUND,
                    Refusal::Protected(_) => StatusCode::FORBIDDEN,
                    Refusal::Conflict(_) => StatusCode::CONFLICT,
                };
                ApiError::Status(status, r.to_string())
            }
            OpError::Engine(e) => e.into(),
            e => ApiError::Internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::Status(s, m) => (s, m),
            ApiError::Internal(e) => {
                tracing::error!("{}", crate::error::chain(&e));
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
