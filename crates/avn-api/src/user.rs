//! The user a token belongs to (`GET /v1/me`, wrapper key `user`).

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

/// What `avn user info` shows; the fields the official client's table reads are typed, the rest
/// kept as they came.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UserInfo {
    /// The user's email address.
    pub user: String,
    #[serde(default)]
    pub real_name: String,
    #[serde(default)]
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_validity_begin: Option<String>,
    #[serde(default)]
    pub projects: Vec<String>,
    #[serde(default)]
    pub auth: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
