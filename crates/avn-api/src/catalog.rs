//! What can be ordered: clouds, service types with their plans, and service versions.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

/// One entry of the service type catalog, or the body of the single-type endpoint (which has
/// no `service_plans`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ServiceTypeInfo {
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_available_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_plans: Option<Vec<Plan>>,
    #[serde(default)]
    pub user_config_schema: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    pub service_plan: String,
    #[serde(default)]
    pub service_type: String,
    #[serde(default)]
    pub node_count: u32,
    #[serde(default)]
    pub backup_config: BackupConfig,
    #[serde(default)]
    pub regions: BTreeMap<String, Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Plan {
    /// Whether services on this plan keep backups (and so can be forked from).
    pub fn has_backups(&self) -> bool {
        self.backup_config.max_count > 0
    }

    /// Whether services on this plan support point-in-time recovery.
    pub fn supports_pitr(&self) -> bool {
        self.has_backups() && self.backup_config.recovery_mode.as_deref() == Some("pitr")
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BackupConfig {
    #[serde(default)]
    pub interval: u32,
    #[serde(default)]
    pub max_count: u32,
    #[serde(default)]
    pub recovery_mode: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /v1/clouds` items.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Cloud {
    pub cloud_name: String,
    #[serde(default)]
    pub cloud_description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_longitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_description: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /v1/service_versions` items; the times are null when not announced.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ServiceVersion {
    pub service_type: String,
    pub major_version: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub aiven_end_of_life_time: Option<String>,
    #[serde(default)]
    pub upstream_end_of_life_time: Option<String>,
    #[serde(default)]
    pub availability_start_time: Option<String>,
    #[serde(default)]
    pub availability_end_time: Option<String>,
    /// When services of this version are terminated (null: not planned). The official client's
    /// `service versions` table reads it from every entry.
    #[serde(default)]
    pub termination_time: Option<String>,
    #[serde(default)]
    pub end_of_life_help_article_url: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
