//! The service object (`GET /v1/project/{p}/service/{s}`) and its parts.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

use crate::backup::Backup;
use crate::integration::Integration;

/// avn local's own key in a service object (kept in `extra`): `{"fork_needs_bytes",
/// "free_bytes"}`, the disk a fork of the service needs on that machine and what is free there.
/// Aiven's services do not carry it; forks there get disks of their own.
pub const LOCAL_DISK_KEY: &str = "avn_local_disk";

/// The notification type of a fork to an instant that holds the transactions committed at or
/// before an earlier instant than its target (a MySQL fork whose source's binary log moved
/// across the target between two looks of the local control plane's clock); its metadata has
/// `restored_to`.
pub const FORK_RESTORED_TO: &str = "fork_restored_before_target";

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
///
/// Optional parts the API may leave out are `Option`s skipped when absent, so a value read and
/// written back out (`--json`) has exactly the keys it came with.
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    pub node_cpu_count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_memory_mb: Option<u64>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_info: Option<ConnectionInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<Component>>,
    /// Deprecated by Aiven, always `["default"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_list: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<Maintenance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Service {
    /// The service this one was forked from, if its `user_config` says so.
    pub fn forked_from(&self) -> Option<&str> {
        [crate::fork::SERVICE, crate::fork::LEGACY_PG_SERVICE]
            .iter()
            .find_map(|k| self.user_config.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()))
    }
}

/// Type-specific connection details; for pg the URIs and their parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ConnectionInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_params: Option<Vec<Map<String, Value>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_standby: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pg_syncing: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One endpoint of a service (`components[]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Component {
    pub component: String,
    pub host: String,
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The maintenance window and pending updates.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Maintenance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub updates: Vec<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
