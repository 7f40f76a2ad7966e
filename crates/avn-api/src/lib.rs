//! Wire types of the Aiven v1 REST API, shared by the `avn` client and the local control plane.
//!
//! Serde only: no I/O, no HTTP. Field names, wrapper keys and shapes follow api.aiven.io (see
//! `shared/reference/aiven-api.md`). Every object keeps the fields this crate does not model in an
//! `extra` map, so a value read from the API and written back out (`--json`) loses nothing.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

pub mod names;
pub mod redact;
pub mod time;

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

/// Service state: exactly `POWEROFF`, `REBALANCING`, `REBUILDING` or `RUNNING`; anything else a
/// newer API sends is kept as it came.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ServiceState {
    PowerOff,
    Rebalancing,
    Rebuilding,
    Running,
    Other(String),
}

impl From<String> for ServiceState {
    fn from(s: String) -> Self {
        match s.as_str() {
            "POWEROFF" => ServiceState::PowerOff,
            "REBALANCING" => ServiceState::Rebalancing,
            "REBUILDING" => ServiceState::Rebuilding,
            "RUNNING" => ServiceState::Running,
            _ => ServiceState::Other(s),
        }
    }
}

impl From<ServiceState> for String {
    fn from(s: ServiceState) -> Self {
        s.to_string()
    }
}

impl fmt::Display for ServiceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServiceState::PowerOff => "POWEROFF",
            ServiceState::Rebalancing => "REBALANCING",
            ServiceState::Rebuilding => "REBUILDING",
            ServiceState::Running => "RUNNING",
            ServiceState::Other(s) => s,
        })
    }
}

/// A service as returned by `GET /v1/project/{p}/service/{s}` (wrapper key `service`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Service {
    pub service_name: String,
    pub service_type: String,
    pub plan: String,
    pub cloud_name: String,
    pub state: ServiceState,
    #[serde(default)]
    pub create_time: String,
    #[serde(default)]
    pub update_time: String,
    #[serde(default)]
    pub service_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_uri_params: Option<Map<String, Value>>,
    #[serde(default)]
    pub user_config: Map<String, Value>,
    #[serde(default)]
    pub service_integrations: Vec<Integration>,
    #[serde(default)]
    pub termination_protection: bool,
    #[serde(default)]
    pub project_vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_space_mb: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_states: Vec<NodeState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub databases: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<ServiceUser>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_pools: Option<Vec<ConnectionPool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups: Option<Vec<Backup>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_notifications: Vec<ServiceNotification>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Service {
    /// The service this one was forked from, if its `user_config` says so.
    pub fn forked_from(&self) -> Option<&str> {
        self.user_config
            .get("service_to_fork_from")
            .or_else(|| self.user_config.get("pg_service_to_fork_from"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NodeState {
    pub name: String,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default)]
    pub progress_updates: Vec<ProgressUpdate>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProgressUpdate {
    pub phase: String,
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
    #[serde(default)]
    pub current: Option<i64>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub completed: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ProgressUpdate {
    /// Progress in percent, computed as the official client does, when min, max and current are known.
    pub fn percent(&self) -> Option<f64> {
        let (min, max, cur) = (self.min?, self.max?, self.current?);
        if max <= min {
            return if self.completed { Some(100.0) } else { None };
        }
        let per_mille = (1000 * (cur - min).clamp(0, max - min)) / (max - min);
        Some(per_mille as f64 / 10.0)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServiceUser {
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectionPool {
    pub pool_name: String,
    pub database: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub pool_mode: String,
    #[serde(default)]
    pub pool_size: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_uri: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServiceNotification {
    #[serde(default, rename = "type")]
    pub notification_type: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Backup {
    pub backup_name: String,
    pub backup_time: String,
    #[serde(default)]
    pub data_size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_location: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /v1/project/{p}/service/{s}/backups`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BackupsResponse {
    #[serde(default)]
    pub backups: Vec<Backup>,
    /// Absent when the service type does not support point-in-time recovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pitr: Option<Pitr>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Pitr {
    pub primary_region: PitrRange,
    #[serde(default)]
    pub additional_regions: Vec<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PitrRange {
    /// Earliest usable instant; null when no backup is usable for PITR.
    #[serde(default)]
    pub pitr_range_start: Option<String>,
    /// Latest usable instant; null means "now".
    #[serde(default)]
    pub pitr_range_end: Option<String>,
}

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_endpoint_id: Option<String>,
    #[serde(default)]
    pub dest_service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest_service_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest_project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

/// `POST /v1/project/{p}/integration`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
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

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Project {
    pub project_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_cloud: Option<String>,
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

/// `POST /v1/project/{p}/service`. Key order and defaults match what aiven-client 4.18 sends, so
/// the same command line produces the same body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServiceCreate {
    pub cloud: Option<String>,
    pub plan: String,
    pub service_integrations: Vec<Value>,
    pub service_name: String,
    pub service_type: String,
    pub user_config: Map<String, Value>,
    pub termination_protection: bool,
    pub static_ips: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_space_mb: Option<u64>,
    /// `Some(None)` sends an explicit `null` (no VPC); `None` leaves the key out.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub project_vpc_id: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_tags: Option<bool>,
}

/// `PUT /v1/project/{p}/service/{s}`. There is no `service_name`: services cannot be renamed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ServiceUpdate {
    pub plan: String,
    pub user_config: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub powered: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_protection: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_space_mb: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub project_vpc_id: Option<Option<String>>,
}

mod double_option {
    use serde::Deserialize;
    use serde::Deserializer;
    use serde::Serialize;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(v: &Option<Option<String>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Ok(Some(Option::<String>::deserialize(d)?))
    }
}

/// Wrapper keys of list and single-object responses.
pub mod wrap {
    use super::*;

    #[derive(Debug, Serialize, Deserialize)]
    pub struct ServiceOut {
        pub service: Service,
    }
    #[derive(Debug, Serialize, Deserialize)]
    pub struct ServicesOut {
        pub services: Vec<Service>,
    }
    #[derive(Debug, Serialize, Deserialize)]
    pub struct ServiceTypesOut {
        pub service_types: BTreeMap<String, ServiceTypeInfo>,
    }
    #[derive(Debug, Serialize, Deserialize)]
    pub struct PlansOut {
        pub service_plans: Vec<Plan>,
    }
    #[derive(Debug, Serialize, Deserialize)]
    pub struct IntegrationsOut {
        pub service_integrations: Vec<Integration>,
    }
    #[derive(Debug, Serialize, Deserialize)]
    pub struct IntegrationOut {
        pub service_integration: Integration,
    }
    #[derive(Debug, Serialize, Deserialize)]
    pub struct ProjectsOut {
        pub projects: Vec<Project>,
    }
    #[derive(Debug, Serialize, Deserialize)]
    pub struct ProjectOut {
        pub project: Project,
    }
    #[derive(Debug, Serialize, Deserialize)]
    pub struct VpcsOut {
        pub vpcs: Vec<Vpc>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body_matches_official_client_shape() {
        let body = ServiceCreate {
            cloud: None,
            plan: "business-4".into(),
            service_integrations: vec![],
            service_name: "forked".into(),
            service_type: "pg".into(),
            user_config: serde_json::from_str(r#"{"service_to_fork_from":"forker"}"#).unwrap(),
            termination_protection: false,
            static_ips: vec![],
            disk_space_mb: None,
            project_vpc_id: None,
            tags: None,
            copy_tags: None,
        };
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"cloud": null, "plan": "business-4", "service_integrations": [],
                "service_name": "forked", "service_type": "pg",
                "user_config": {"service_to_fork_from": "forker"},
                "termination_protection": false, "static_ips": []})
        );
        let no_vpc = ServiceCreate { project_vpc_id: Some(None), ..body };
        assert_eq!(serde_json::to_value(&no_vpc).unwrap()["project_vpc_id"], Value::Null);
        assert!(serde_json::to_value(&no_vpc).unwrap().as_object().unwrap().contains_key("project_vpc_id"));
    }

    #[test]
    fn unknown_fields_and_states_survive_a_round_trip() {
        let raw = serde_json::json!({"service_name": "a", "service_type": "pg", "plan": "p",
            "cloud_name": "c", "state": "MIGRATING", "future_field": {"x": 1}, "user_config": {}});
        let s: Service = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(s.state, ServiceState::Other("MIGRATING".into()));
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["future_field"], raw["future_field"]);
        assert_eq!(back["state"], "MIGRATING");
    }

    #[test]
    fn progress_percent_follows_official_rounding() {
        let p = ProgressUpdate {
            phase: "basebackup".into(),
            min: Some(0),
            max: Some(3),
            current: Some(1),
            unit: None,
            completed: false,
            extra: Map::new(),
        };
        assert_eq!(p.percent(), Some(33.3));
    }
}
