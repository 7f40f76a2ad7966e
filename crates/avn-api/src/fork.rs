//! The fork keys of a service's `user_config`: which service a new one is forked from, and to
//! what. Read and written here only, by the CLI (requests, reports, `--if-not-exists`) and by the
//! local control plane (which performs the fork).
//!
//! A value that is not a string, or an empty string, counts as absent: Aiven's schema allows
//! `null` and `""` for each of them, and both mean "not a fork" there.

use jiff::Timestamp;
use serde_json::Map;
use serde_json::Value;

/// The service to fork from.
pub const SERVICE: &str = "service_to_fork_from";
/// The project of that service, when it is not the new service's own.
pub const PROJECT: &str = "project_to_fork_from";
/// The instant to restore to (point-in-time recovery); absent: the latest transaction.
pub const TARGET_TIME: &str = "recovery_target_time";
/// The base backup to restore (types restored from a named backup, such as Valkey).
pub const BASEBACKUP: &str = "recovery_basebackup_name";
/// The older, PostgreSQL-only spelling of [`SERVICE`], still accepted by Aiven.
pub const LEGACY_PG_SERVICE: &str = "pg_service_to_fork_from";

/// Every fork key, as the schema names them.
pub const KEYS: [&str; 4] = [SERVICE, PROJECT, TARGET_TIME, BASEBACKUP];

/// The fork keys of one `user_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForkKeys {
    /// The source service ([`SERVICE`], or the legacy [`LEGACY_PG_SERVICE`]).
    pub service: Option<String>,
    pub project: Option<String>,
    /// As written: parse it with [`ForkKeys::target_instant`].
    pub target_time: Option<String>,
    pub basebackup: Option<String>,
}

impl ForkKeys {
    /// Read the fork keys of `user_config`.
    pub fn read(user_config: &Map<String, Value>) -> ForkKeys {
        let text = |k: &str| user_config.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string);
        ForkKeys {
            service: text(SERVICE).or_else(|| text(LEGACY_PG_SERVICE)),
            project: text(PROJECT),
            target_time: text(TARGET_TIME),
            basebackup: text(BASEBACKUP),
        }
    }

    /// Write the keys that are set into `user_config` (the legacy key is never written).
    pub fn write(&self, user_config: &mut Map<String, Value>) {
        let keys = [(SERVICE, &self.service), (PROJECT, &self.project), (TARGET_TIME, &self.target_time)];
        for (k, v) in keys.into_iter().chain([(BASEBACKUP, &self.basebackup)]) {
            if let Some(v) = v {
                user_config.insert(k.to_string(), v.clone().into());
            }
        }
    }

    /// Remove every fork key, the legacy one included.
    pub fn remove(user_config: &mut Map<String, Value>) {
        for k in KEYS.iter().chain([&LEGACY_PG_SERVICE]) {
            user_config.remove(*k);
        }
    }

    /// Whether `key` is one of the fork keys.
    pub fn is_fork_key(key: &str) -> bool {
        KEYS.contains(&key) || key == LEGACY_PG_SERVICE
    }

    /// The target instant, if one is set and readable.
    pub fn target_instant(&self) -> Option<Timestamp> {
        self.target_time.as_deref().and_then(crate::time::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_ignores_empty_values() {
        let uc: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "pg_service_to_fork_from": "old", "project_to_fork_from": "", "recovery_target_time": "2026-01-01 00:00:00",
            "recovery_basebackup_name": null, "ip_filter": []
        }))
        .unwrap();
        let k = ForkKeys::read(&uc);
        assert_eq!(k.service.as_deref(), Some("old"));
        assert_eq!((k.project.as_deref(), k.basebackup.as_deref()), (None, None));
        assert_eq!(k.target_instant(), "2026-01-01T00:00:00Z".parse().ok());
        let mut out = Map::new();
        k.write(&mut out);
        assert_eq!(
            Value::Object(out.clone()),
            serde_json::json!({"service_to_fork_from": "old", "recovery_target_time": "2026-01-01 00:00:00"})
        );
        let mut all = uc.clone();
        ForkKeys::remove(&mut all);
        assert_eq!(Value::Object(all), serde_json::json!({"ip_filter": []}));
        assert!(ForkKeys::is_fork_key("recovery_basebackup_name") && !ForkKeys::is_fork_key("ip_filter"));
    }
}
