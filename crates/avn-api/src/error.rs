//! The body of every failed response, read by the client and written by the local server.

use serde::Deserialize;
use serde::Serialize;

/// The body of every failed response: `{"message": ..., "errors": [...]}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorBody {
    pub message: String,
    #[serde(default)]
    pub errors: Vec<ErrorItem>,
}

impl ErrorBody {
    /// An error body with one item carrying the same message and status.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        let message = message.into();
        ErrorBody {
            errors: vec![ErrorItem { message: message.clone(), status: Some(status), error_code: None }],
            message,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorItem {
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}
