//! Projects and their VPCs, and the project create request.

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

/// `GET /v1/project/{project}/kms/ca`: the CA that signs the project's service certificates.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProjectCa {
    /// PEM.
    pub certificate: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Project {
    pub project_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_cloud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// Billing details, as `project details` and `project list -v` of the official client read
    /// them (it fails on a project without `billing_extra_text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_extra_text: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Vpc {
    pub project_vpc_id: String,
    pub cloud_name: String,
    #[serde(default)]
    pub network_cidr: String,
    #[serde(default)]
    pub state: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `POST /v1/project`, with every key aiven-client 4.18 sends. A request type: unknown keys
/// are refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProjectCreate {
    /// The new project's name (`project_name` is accepted too).
    #[serde(default, alias = "project_name")]
    pub project: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_from_project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tech_emails: Option<Vec<TechEmail>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_source_project_billing_group: Option<bool>,
}

/// `{"email": ...}`, in `tech_emails` of project and service requests.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TechEmail {
    pub email: String,
}
