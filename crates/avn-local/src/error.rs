//! Errors, each kind once: [`OpError`] for what fails inside the control plane (it keeps its
//! cause), and [`ApiError`], the one mapping to Aiven's error body and status codes. Internal
//! details are logged, not returned.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Json;

use crate::engines::postgres::ClusterError;
use crate::engines::EngineError;

/// A failure inside the control plane: the store, a cluster, the file system. For background
/// operations its text becomes the service's failure notification.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("state store: {0}")]
    Store(#[from] rusqlite::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("fork details missing")]
    NoForkOrigin,
    #[error("the source service was deleted")]
    SourceGone,
    #[error("the fork stopped replaying at {reached}, short of {wanted}, the last change the source had archived; it is not used")]
    ShortRecovery { reached: String, wanted: String },
    #[error("no base backup that covers the target could be restored; the last one tried, {backup}: {why}")]
    NoBackupRestorable { backup: String, why: String },
    #[error("no base backup ended before the recovery target")]
    NoBackupBeforeTarget,
    #[error("service is gone")]
    ServiceGone,
    #[error("no free port")]
    NoFreePort,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The caller's error (or a refusal): status and the message to show.
    #[error("{1}")]
    Status(StatusCode, String),
    #[error("internal error: {0}")]
    Internal(#[from] OpError),
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
        ApiError::Internal(e.into())
    }
}

impl From<crate::catalog::ConfigError> for ApiError {
    fn from(e: crate::catalog::ConfigError) -> Self {
        ApiError::bad_request(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::Status(s, m) => (s, m),
            ApiError::Internal(e) => {
                tracing::error!("{}", chain(&e));
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error in the local control plane; see its log".to_string(),
                )
            }
        };
        (status, Json(avn_api::ErrorBody::new(status.as_u16(), message))).into_response()
    }
}

/// An error and its causes on one line, each cause once.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg = format!("{msg}: {text}");
        }
        src = s.source();
    }
    msg
}

pub type ApiResult<T> = Result<T, ApiError>;
