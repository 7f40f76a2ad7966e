//! What this control plane offers: one cloud, the service types of the engines installed here and
//! their plans; and the check of a user_config against the schema its engine honours (`Engine::user_config_schema`).

use avn_api::BackupConfig;
use avn_api::Cloud;
use avn_api::Plan;
use avn_api::ServiceTypeInfo;
use serde_json::json;
use serde_json::Value;

use crate::engines::Engine;

pub const CLOUD: &str = "local";

/// How far a plan's disk can be grown (`--disk-space-gib`), and in what steps, as Aiven's plans
/// say (`disk_space_cap_mb`, `disk_space_step_mb`).
pub const DISK_CAP_FACTOR: u64 = 4;
pub const DISK_STEP_MB: u64 = 10240;

/// Check a requested disk size against a plan: from its default up to its cap, in its steps.
/// Local services are not limited to it (it is recorded and shown, as the plan's is).
pub fn check_disk_space(plan: &Plan, mb: u64) -> Result<(), String> {
    let default = plan.regions.get(CLOUD).and_then(|r| r.get("disk_space_mb")).and_then(Value::as_u64).unwrap_or(0);
    let cap = default * DISK_CAP_FACTOR;
    if mb < default || mb > cap || !(mb - default).is_multiple_of(DISK_STEP_MB) {
        return Err(format!(
            "Invalid disk space {mb} MiB for plan '{}': choose from {default} MiB up to {cap} MiB in steps of {DISK_STEP_MB} MiB \
             (--disk-space-gib {} to {}, in steps of {})",
            plan.service_plan,
            default / 1024,
            cap / 1024,
            DISK_STEP_MB / 1024
        ));
    }
    Ok(())
}

/// How many nodes a plan runs here: MySQL's business and premium plans have standby nodes, as
/// on Aiven (each a real replica: `engines::mysql::standby`); PostgreSQL's plans run one node.
pub fn node_count(service_type: &str, plan: &str) -> u32 {
    match (service_type, plan) {
        ("mysql", p) if p.starts_with("business-") => 2,
        ("mysql", p) if p.starts_with("premium-") => 3,
        _ => 1,
    }
}

/// Plans, named like Aiven's. Hobbyist keeps no backups and cannot be forked.
pub fn plans(service_type: &str, backup_interval_hours: u32) -> Vec<Plan> {
    let mk = |name: &str, max_count: u32, disk_mb: u64| Plan {
        service_plan: name.into(),
        service_type: service_type.into(),
        node_count: node_count(service_type, name),
        backup_config: BackupConfig {
            interval: backup_interval_hours,
            max_count,
            recovery_mode: Some(if max_count > 0 { "pitr" } else { "basic" }.into()),
            extra: Default::default(),
        },
        regions: [(
            CLOUD.to_string(),
            serde_json::from_value(json!({
                "price_usd": "0.0000", "disk_space_mb": disk_mb, "node_memory_mb": 1024, "node_cpu_count": 1,
                "disk_space_cap_mb": disk_mb * DISK_CAP_FACTOR, "disk_space_step_mb": DISK_STEP_MB,
            }))
            .expect("static"),
        )]
        .into_iter()
        .collect(),
        extra: Default::default(),
    };
    vec![mk("hobbyist", 0, 8192), mk("startup-4", 2, 81920), mk("business-4", 14, 163840), mk("premium-4", 30, 327680)]
}

pub fn plan(name: &str, backup_interval_hours: u32) -> Option<Plan> {
    // Every service type has the same plans here.
    plans("pg", backup_interval_hours).into_iter().find(|p| p.service_plan == name)
}

/// Whether services on this plan keep backups (and so can be forked and archive WAL).
pub fn keeps_backups(plan_name: &str) -> bool {
    plan(plan_name, 1).is_some_and(|p| p.has_backups())
}

pub fn service_type_info(engine: &Engine, with_plans: bool, backup_interval_hours: u32) -> ServiceTypeInfo {
    ServiceTypeInfo {
        description: engine.description().to_string(),
        default_version: Some(engine.version().into()),
        latest_available_version: Some(engine.version().into()),
        service_plans: with_plans.then(|| plans(engine.service_type(), backup_interval_hours)),
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
    #[error("Invalid user_config: unsupported option '{0}' on the local control plane")]
    Unsupported(String),
    #[error("Invalid user_config: '{0}' can only be set when a service is created")]
    CreateOnly(String),
    #[error("Invalid user_config: '{0}' must be an object")]
    NotObject(String),
    #[error("Invalid user_config: unsupported option '{0}'")]
    UnsupportedNested(String),
    #[error("Invalid user_config: bad value {value} for '{key}'")]
    BadNestedValue { key: String, value: Value },
    #[error("Invalid user_config: {key} {got} is not available (this machine offers {have})")]
    Version { key: String, got: Value, have: String },
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
        if s["type"] == "object" {
            // The engine's own settings (`pg`, `mysql`): each one typed and bounded.
            let Some(own) = v.as_object() else {
                return Err(ConfigError::NotObject(k.clone()));
            };
            let props = s["properties"].as_object().expect("static");
            for (pk, pv) in own {
                let Some(ps) = props.get(pk) else {
                    return Err(ConfigError::UnsupportedNested(format!("{k}.{pk}")));
                };
                // Strings go into a configuration file: no quotes or line breaks (see
                // engines::postgres::conf).
                let ok = match ps["type"].as_str() {
                    Some("integer") => pv.is_i64() && bounds_ok(ps, pv.as_i64().unwrap_or(0)),
                    Some("number") => pv.as_f64().is_some_and(|f| bounds_ok_f(ps, f)),
                    Some("boolean") => pv.is_boolean(),
                    Some("string") => pv.as_str().is_some_and(|s| {
                        !s.contains(['\'', '"', '\\', '\n', '\r', '\0'])
                            && s.len() <= 1024
                            && ps.get("maxLength").and_then(Value::as_u64).is_none_or(|m| s.len() as u64 <= m)
                    }),
                    _ => false,
                };
                if !ok {
                    return Err(ConfigError::BadNestedValue { key: format!("{k}.{pk}"), value: pv.clone() });
                }
            }
        } else if k.ends_with("_version") && s.get("enum").is_some() {
            // The versions this machine offers for the type: the schema's enum.
            let allowed = s["enum"].as_array().expect("static");
            if !allowed.contains(v) {
                let have: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
                return Err(ConfigError::Version { key: k.clone(), got: v.clone(), have: have.join(", ") });
            }
        } else if s["type"] == "integer" || s["type"] == serde_json::json!(["integer", "null"]) {
            if !(v.is_null() || v.as_i64().is_some_and(|n| bounds_ok(s, n))) {
                return Err(ConfigError::BadNestedValue { key: k.clone(), value: v.clone() });
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

fn bounds_ok_f(schema: &Value, v: f64) -> bool {
    schema.get("minimum").and_then(Value::as_f64).is_none_or(|m| v >= m)
        && schema.get("maximum").and_then(Value::as_f64).is_none_or(|m| v <= m)
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
