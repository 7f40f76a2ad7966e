//! The user_config options of a Caching service that this engine really honours, with their
//! schema and limits, as Aiven's schema names them, and the redis-server setting behind each.

use serde_json::json;
use serde_json::Map;
use serde_json::Value;

/// The Valkey versions Aiven offers. A service asking for one runs on this machine's
/// redis-server 7.0 (the service says so); none is refused, so scripts written for Aiven run here.
pub const ASKED_VERSIONS: [&str; 3] = ["8.1", "9.0", "9.1"];

/// Eviction policies (`valkey_maxmemory_policy`).
pub const POLICIES: [&str; 8] = [
    "noeviction",
    "allkeys-lru",
    "volatile-lru",
    "allkeys-random",
    "volatile-random",
    "volatile-ttl",
    "volatile-lfu",
    "allkeys-lfu",
];

/// Options applied to the server: (option, redis-server setting); all of them can change on a
/// running server (`CONFIG SET`), except the number of databases (create only).
const SETTINGS: [(&str, &str); 5] = [
    ("valkey_maxmemory_policy", "maxmemory-policy"),
    ("valkey_timeout", "timeout"),
    ("valkey_lfu_log_factor", "lfu-log-factor"),
    ("valkey_lfu_decay_time", "lfu-decay-time"),
    ("valkey_notify_keyspace_events", "notify-keyspace-events"),
];

/// Defaults of [`SETTINGS`] (redis-server's, except the policy, which is Aiven's).
const DEFAULTS: [&str; 5] = ["noeviction", "300", "10", "1", ""];

pub fn user_config_schema() -> Value {
    let policies = POLICIES.join("|");
    json!({
        "type": "object",
        "title": "Valkey user configurable settings",
        "properties": {
            "valkey_version": {"type": ["string", "null"], "enum": [ASKED_VERSIONS[0], ASKED_VERSIONS[1], ASKED_VERSIONS[2], null], "title": "Valkey major version", "description": "Accepted as on Aiven; this machine runs redis-server 7.0, which speaks the same protocol, whichever is asked"},
            "valkey_persistence": {"type": "string", "enum": ["off", "rdb"], "pattern": "^(off|rdb)$", "title": "Valkey persistence", "description": "When persistence is 'rdb', the data is snapshotted (RDB) and backed up on the plan's schedule, and the service can be forked. When 'off', there are no backups: data is lost when the server restarts, and the service cannot be forked"},
            "valkey_maxmemory_policy": {"type": ["string", "null"], "enum": POLICIES, "pattern": format!("^({policies})$"), "default": "noeviction", "title": "Valkey maxmemory-policy"},
            "valkey_timeout": {"type": "integer", "minimum": 0, "maximum": 31536000, "default": 300, "title": "Valkey idle connection timeout in seconds"},
            "valkey_lfu_log_factor": {"type": "integer", "minimum": 0, "maximum": 100, "default": 10, "title": "Counter logarithm factor for volatile-lfu and allkeys-lfu maxmemory-policies"},
            "valkey_lfu_decay_time": {"type": "integer", "minimum": 1, "maximum": 120, "default": 1, "title": "LFU maxmemory-policy counter decay time in minutes"},
            "valkey_notify_keyspace_events": {"type": "string", "maxLength": 32, "pattern": "^[KEg\\$lshzxetmdnA]*$", "default": "", "title": "Set notify-keyspace-events option"},
            "valkey_number_of_databases": {"type": "integer", "minimum": 1, "maximum": 128, "title": "Number of Valkey databases", "description": "Set the number of databases; changing it needs a new service (it can only be set when a service is created)", "create_only": true},
            "service_to_fork_from": {"type": ["string", "null"], "maxLength": 64, "pattern": "^[a-z][-a-z0-9]{0,63}$|^$", "title": "Name of another service to fork from. This has effect only when a new service is being created.", "create_only": true},
            "project_to_fork_from": {"type": ["string", "null"], "maxLength": 63, "pattern": "^[a-z][-a-z0-9]{0,63}$|^$", "title": "Name of another project to fork a service from. This has effect only when a new service is being created.", "create_only": true},
            "recovery_basebackup_name": {"type": "string", "maxLength": 128, "pattern": "^[a-zA-Z0-9-_:.]+$", "title": "Name of the basebackup to restore in forked service", "example": "backup-20191112t091354293891z", "create_only": true}
        }
    })
}

/// The options set as (redis-server setting, value) lines of the configuration file, quoted.
pub fn conf_lines(user_config: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = settings(user_config)
        .into_iter()
        .map(|(k, v)| (k.to_string(), format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))))
        .collect();
    if let Some(n) = user_config.get("valkey_number_of_databases").and_then(Value::as_u64) {
        out.push(("databases".into(), n.to_string()));
    }
    out
}

/// Every setting behind an option, with the option's value or its default (for `CONFIG SET`).
pub fn settings(user_config: &Map<String, Value>) -> Vec<(&'static str, String)> {
    SETTINGS
        .iter()
        .zip(DEFAULTS)
        .map(|((option, setting), default)| {
            let v = match user_config.get(*option) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => default.to_string(),
            };
            (*setting, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn options_become_settings_with_defaults() {
        let cfg =
            json!({"valkey_maxmemory_policy": "allkeys-lru", "valkey_timeout": 60, "valkey_number_of_databases": 4});
        let lines = super::conf_lines(cfg.as_object().unwrap());
        assert!(lines.contains(&("maxmemory-policy".into(), "\"allkeys-lru\"".into())));
        assert!(lines.contains(&("timeout".into(), "\"60\"".into())));
        assert!(lines.contains(&("notify-keyspace-events".into(), "\"\"".into())));
        assert!(lines.contains(&("databases".into(), "4".into())));
        let schema = super::user_config_schema();
        let ok = crate::catalog::validate_user_config(cfg.as_object().unwrap(), &schema, true);
        assert!(ok.is_ok());
        for bad in [
            json!({"valkey_persistence": "aof"}),
            json!({"valkey_maxmemory_policy": "lru"}),
            json!({"valkey_timeout": -1}),
        ] {
            assert!(crate::catalog::validate_user_config(bad.as_object().unwrap(), &schema, true).is_err(), "{bad}");
        }
    }
}
