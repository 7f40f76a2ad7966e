//! Service integrations: the object (`service_integrations[]`) and its create request.

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Integration {
    #[serde(default)]
    pub service_integration_id: Option<String>,
    #[serde(default)]
    pub integration_type: String,
    #[serde(default)]
    pub source_service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_service_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_project: Option<String>,
    /// Always sent by the API (null for a service end); the official client reads it.
    #[serde(default)]
    pub source_endpoint_id: Option<String>,
    #[serde(default)]
    pub dest_service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest_service_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest_project: Option<String>,
    /// Always sent by the API (null for a service end); the official client reads it.
    #[serde(default)]
    pub dest_endpoint_id: Option<String>,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_config: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `POST /v1/project/{p}/integration`, and the items of a create request's
/// `service_integrations`. A request type: unknown keys are refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IntegrationCreate {
    pub integration_type: String,
    pub source_service: Option<String>,
    pub dest_service: Option<String>,
    pub source_endpoint_id: Option<String>,
    pub dest_endpoint_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest_project: Option<String>,
    #[serde(default)]
    pub user_config: Map<String, Value>,
}
