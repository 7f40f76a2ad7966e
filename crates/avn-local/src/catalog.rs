//! What this control plane offers: one cloud, the `pg` service type and its plans; and the
//! check of a user_config against the schema its engine honours (`Engine::user_config_schema`).

use avn_api::BackupConfig;
use avn_api::Cloud;
use avn_api::Plan;
use avn_api::ServiceTypeInfo;
use serde_json::json;
use serde_json::Value;

use crate::engines::Engine;

pub const CLOUD: &str = "local";
pub const SERVICE_TYPE: &str = "pg";

/// Plans, named like Aiven's. Hobbyist keeps no backups and cannot be forked.
pub fn plans(backup_interval_hours: u32) -> Vec<Plan> {
    let mk = |name: &str, max_count: u32, disk_mb: u64| Plan {
        service_plan: name.into(),
        service_type: SERVICE_TYPE.into(),
        node_count: 1,
        backup_config: BackupConfig {
            interval: backup_interval_hours,
            max_count,
            recovery_mode: Some(if max_count > 0 { "pitr" } else { "basic" }.into()),
            extra: Default::default(),
        },
        regions: [(
            CLOUD.to_string(),
            serde_json::from_value(
                json!({"price_usd": "0.0000", "disk_space_mb": disk_mb, "node_memory_mb": 1024, "node_cpu_count": 1}),
            )
            .expect("static"),
        )]
        .into_iter()
        .collect(),
        extra: Default::default(),
    };
    vec![mk("hobbyist", 0, 8192), mk("startup-4", 2, 81920), mk("business-4", 14, 163840), mk("premium-4", 30, 327680)]
}

pub fn plan(name: &str, backup_interval_hours: u32) -> Option<Plan> {
    plans(backup_interval_hours).into_iter().find(|p| p.service_plan == name)
}

/// Whether services on this plan keep backups (and so can be forked and archive WAL).
pub fn keeps_backups(plan_name: &str) -> bool {
    plan(plan_name, 1).is_some_and(|p| p.has_backups())
}

pub fn service_type_info(engine: &Engine, with_plans: bool, backup_interval_hours: u32) -> ServiceTypeInfo {
    ServiceTypeInfo {
        description: format!("{} (runs on this machine)", engine.description()),
        default_version: Some(engine.version().into()),
        latest_available_version: Some(engine.version().into()),
        service_plans: with_plans.then(|| plans(backup_interval_hours)),
        user_config_schema: engine.user_config_schema(),
        extra: Default::default(),
    }
}

pub fn clouds() -> Vec<Cloud> {
    vec![Cloud {
        cloud_name: CLOUD.into(),
        cloud_description: "This machine - Local".into(),
        geo_latitude: Some(0.0),
        geo_longitude: Some(0.0),
        geo_region: Some("local".into()),
        provider: Some("local".into()),
        provider_description: Some("avn local".into()),
        extra: Default::default(),
    }]
}

/// Why a user_config is refused (a 400).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("Invalid user_config: unsupported option '{0}' for service type pg on the local control plane")]
    Unsupported(String),
    #[error("Invalid user_config: '{0}' can only be set when a service is created")]
    CreateOnly(String),
    #[error("Invalid user_config: 'pg' must be an object")]
    PgNotObject,
    #[error("Invalid user_config: unsupported option 'pg.{0}'")]
    UnsupportedPg(String),
    #[error("Invalid user_config: bad value {value} for 'pg.{key}'")]
    BadPgValue { key: String, value: Value },
    #[error("Invalid user_config: pg_version {got} is not available (this machine has PostgreSQL {have})")]
    PgVersion { got: Value, have: String },
    #[error("Invalid user_config: '{0}' must be a string")]
    NotString(String),
    #[error("Invalid user_config: '{key}' {why}")]
    BadString { key: String, why: String },
}

/// Validate a user_config against what this control plane honours (unknown keys are refused).
pub fn validate_user_config(
    cfg: &serde_json::Map<String, Value>,
    schema: &Value,
    creating: bool,
) -> Result<(), ConfigError> {
    let props = schema["properties"].as_object().expect("static");
    for (k, v) in cfg {
        let Some(s) = props.get(k) else {
            return Err(ConfigError::Unsupported(k.clone()));
        };
        if !creating && s.get("create_only").is_some() && !v.is_null() {
            return Err(ConfigError::CreateOnly(k.clone()));
        }
        if k == "pg" {
            let Some(pg) = v.as_object() else {
                return Err(ConfigError::PgNotObject);
            };
            let pgp = s["properties"].as_object().expect("static");
            for (pk, pv) in pg {
                let Some(ps) = pgp.get(pk) else {
                    return Err(ConfigError::UnsupportedPg(pk.clone()));
                };
                // Strings go into postgresql.conf: no quotes or line breaks (see engines::postgres::conf).
                let ok = match ps["type"].as_str() {
                    Some("integer") => pv.is_i64() && bounds_ok(ps, pv.as_i64().unwrap_or(0)),
                    Some("string") => {
                        pv.as_str().is_some_and(|s| !s.contains(['\'', '\n', '\r', '\0']) && s.len() <= 64)
                    }
                    _ => false,
                };
                if !ok {
                    return Err(ConfigError::BadPgValue { key: pk.clone(), value: pv.clone() });
                }
            }
        } else if k == "pg_version" {
            // The one version this machine runs: the schema's default.
            let have = s["default"].as_str().unwrap_or_default();
            if !(v.is_null() || v.as_str() == Some(have)) {
                return Err(ConfigError::PgVersion { got: v.clone(), have: have.to_string() });
            }
        } else if !(v.is_null() || v.is_string()) {
            return Err(ConfigError::NotString(k.clone()));
        } else if let Some(text) = v.as_str() {
            // The same limits the schema states (and the CLI checks before sending).
            let bad = |why: String| Err(ConfigError::BadString { key: k.clone(), why });
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64).filter(|m| text.chars().count() as u64 > *m) {
                return bad(format!("must be at most {max} characters long"));
            }
            if let Some(p) = s.get("pattern").and_then(Value::as_str) {
                if regex::Regex::new(p).is_ok_and(|re| !re.is_match(text)) {
                    return bad(format!("must match the pattern {p}"));
                }
            }
        }
    }
    Ok(())
}

fn bounds_ok(schema: &Value, v: i64) -> bool {
    schema.get("minimum").and_then(Value::as_i64).is_none_or(|m| v >= m)
        && schema.get("maximum").and_then(Value::as_i64).is_none_or(|m| v <= m)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn check(cfg: serde_json::Value) -> Result<(), super::ConfigError> {
        super::validate_user_config(
            cfg.as_object().unwrap(),
            &crate::engines::postgres::schema::user_config_schema("15"),
            true,
        )
    }

    #[test]
    fn the_schema_limits_are_enforced_here_too() {
        assert!(check(json!({"pg": {"max_connections": -5}})).is_err());
        assert!(check(json!({"pg": {"max_connections": 100}})).is_ok());
        assert!(check(json!({"pg_version": "16"})).is_err());
        let e = check(json!({"service_to_fork_from": "Not_A_Name"})).unwrap_err().to_string();
        assert!(e.contains("must match the pattern"), "{e}");
        let e = check(json!({"recovery_target_time": "x".repeat(40)})).unwrap_err().to_string();
        assert!(e.contains("at most 32 characters"), "{e}");
        assert!(check(json!({"service_to_fork_from": "db1", "recovery_target_time": "2026-01-01 00:00:00"})).is_ok());
        assert!(check(json!({"service_to_fork_from": ""})).is_ok());
    }
}
