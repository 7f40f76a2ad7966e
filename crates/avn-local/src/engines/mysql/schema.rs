//! The user_config options of a MySQL service that this engine really honours, with their schema
//! and limits (as Aiven's schema names them). Every `mysql.*` option here is a dynamic MariaDB
//! variable: written to the option file and set with `SET GLOBAL`, no restart.

use serde_json::json;
use serde_json::Value;

/// The MySQL versions Aiven offers. A service asking for one runs on this machine's MariaDB
/// (the service's notifications say so); none is refused, so scripts written for Aiven run here.
pub const ASKED_VERSIONS: [&str; 2] = ["8.0", "8.4"];

/// `mysql.*` options, with MariaDB's name for each (they are the same here).
pub fn mysql_settings_schema() -> Value {
    json!({
        "type": "object",
        "title": "mysql.conf configuration values",
        "properties": {
            "connect_timeout": {"type": "integer", "minimum": 2, "maximum": 3600, "title": "connect_timeout", "description": "Seconds the server waits for a connect packet before answering Bad handshake"},
            "group_concat_max_len": {"type": "integer", "minimum": 4, "maximum": 18446744073709551615u64, "title": "group_concat_max_len", "description": "The maximum permitted result length in bytes for GROUP_CONCAT()"},
            "innodb_lock_wait_timeout": {"type": "integer", "minimum": 1, "maximum": 3600, "title": "innodb_lock_wait_timeout", "description": "Seconds an InnoDB transaction waits for a row lock before giving up"},
            "innodb_print_all_deadlocks": {"type": "boolean", "title": "innodb_print_all_deadlocks", "description": "Record every deadlock in the error log"},
            "interactive_timeout": {"type": "integer", "minimum": 30, "maximum": 604800, "title": "interactive_timeout", "description": "Seconds the server waits for activity on an interactive connection before closing it"},
            "long_query_time": {"type": "number", "minimum": 0.0, "maximum": 3600.0, "title": "long_query_time", "description": "Seconds after which a query counts as slow"},
            "max_allowed_packet": {"type": "integer", "minimum": 102400, "maximum": 1073741824, "title": "max_allowed_packet", "description": "Size in bytes of the largest packet or generated string"},
            "max_heap_table_size": {"type": "integer", "minimum": 1048576, "maximum": 1073741824, "title": "max_heap_table_size", "description": "Largest size in bytes of user-created MEMORY tables"},
            "net_read_timeout": {"type": "integer", "minimum": 1, "maximum": 3600, "title": "net_read_timeout", "description": "Seconds to wait for more data from a connection before aborting the read"},
            "net_write_timeout": {"type": "integer", "minimum": 1, "maximum": 3600, "title": "net_write_timeout", "description": "Seconds to wait for a block to be written to a connection before aborting the write"},
            "slow_query_log": {"type": "boolean", "title": "slow_query_log", "description": "Log queries slower than long_query_time"},
            "sort_buffer_size": {"type": "integer", "minimum": 32768, "maximum": 1073741824, "title": "sort_buffer_size", "description": "Sort buffer size in bytes for ORDER BY optimization"},
            "sql_mode": {"type": "string", "maxLength": 1024, "pattern": "^[A-Z_]*(,[A-Z_]+)*$", "title": "sql_mode", "description": "Global SQL mode (comma-separated, upper case)"},
            "tmp_table_size": {"type": "integer", "minimum": 1048576, "maximum": 1073741824, "title": "tmp_table_size", "description": "Limit in bytes on the size of internal in-memory tables"},
            "wait_timeout": {"type": "integer", "minimum": 1, "maximum": 2147483, "title": "wait_timeout", "description": "Seconds the server waits for activity on a connection before closing it"}
        }
    })
}

pub fn user_config_schema() -> Value {
    json!({
        "type": "object",
        "title": "MySQL user configurable settings",
        "properties": {
            "mysql_version": {"type": ["string", "null"], "enum": [ASKED_VERSIONS[0], ASKED_VERSIONS[1], null], "title": "MySQL major version", "description": "Accepted as on Aiven; this machine runs MariaDB 10.11 whichever is asked, and the service's notifications say so"},
            "binlog_retention_period": {"type": ["integer", "null"], "minimum": 600, "maximum": 604800, "title": "The minimum amount of time in seconds to keep binlog entries before deletion", "description": "Binary logs are also kept as long as the oldest kept backup needs them"},
            "service_to_fork_from": {"type": ["string", "null"], "maxLength": 64, "pattern": "^[a-z][-a-z0-9]{0,63}$|^$", "title": "Name of another service to fork from. This has effect only when a new service is being created.", "create_only": true},
            "project_to_fork_from": {"type": ["string", "null"], "maxLength": 63, "pattern": "^[a-z][-a-z0-9]{0,63}$|^$", "title": "Name of another project to fork a service from. This has effect only when a new service is being created.", "create_only": true},
            "recovery_target_time": {"type": ["string", "null"], "maxLength": 32, "title": "Recovery target time when forking a service. This has effect only when a new service is being created.", "example": "2019-01-01 23:34:45", "create_only": true},
            "mysql": mysql_settings_schema()
        }
    })
}

/// The `mysql.*` options as option-file lines (`key = value`), in a stable order. Values were
/// checked against the schema (no quotes or line breaks in strings).
pub fn option_lines(user_config: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    let Some(own) = user_config.get("mysql").and_then(Value::as_object) else { return vec![] };
    let mut out: Vec<(String, String)> = own
        .iter()
        .filter_map(|(k, v)| {
            let text = match v {
                Value::Bool(b) => (if *b { "ON" } else { "OFF" }).to_string(),
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => return None,
            };
            Some((k.clone(), text))
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn options_become_option_file_lines() {
        let cfg = json!({"mysql": {"slow_query_log": true, "long_query_time": 0.5, "sql_mode": "ANSI_QUOTES"}});
        let lines = super::option_lines(cfg.as_object().unwrap());
        assert_eq!(
            lines,
            vec![
                ("long_query_time".into(), "0.5".into()),
                ("slow_query_log".into(), "ON".into()),
                ("sql_mode".into(), "ANSI_QUOTES".into())
            ]
        );
        let schema = super::user_config_schema();
        let check = |v: serde_json::Value| crate::catalog::validate_user_config(v.as_object().unwrap(), &schema, true);
        assert!(check(json!({"mysql_version": "8.0"})).is_ok());
        assert!(check(json!({"mysql_version": "5.7"})).is_err());
        assert!(check(json!({"binlog_retention_period": 60})).is_err());
        assert!(check(json!({"binlog_retention_period": 600})).is_ok());
        assert!(check(json!({"mysql": {"wait_timeout": 0}})).is_err());
        assert!(check(json!({"mysql": {"sql_mode": "A'B"}})).is_err());
        assert!(check(json!({"mysql": {"innodb_buffer_pool_size": 1}})).is_err());
    }
}
