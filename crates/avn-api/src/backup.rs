//! Backups and the point-in-time recovery window (`GET /v1/project/{p}/service/{s}/backups`).

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

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
    /// The backup being taken; `Some(None)` is an explicit `null` (none running).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::double_option")]
    pub backup_progress: Option<Option<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_backup_time: Option<ScheduledBackupTime>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ScheduledBackupTime {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_hour: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_minute: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_interval_hours: Option<u32>,
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
