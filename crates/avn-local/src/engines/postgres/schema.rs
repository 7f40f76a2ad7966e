//! The user_config options of a PostgreSQL service that this engine really honours, with their
//! schema and limits (as Aiven's schema names them).

use serde_json::json;
use serde_json::Value;

/// `pg.*` options written to postgresql.conf, with their schema. The defaults are PostgreSQL's
/// own, which apply when an option is not set (the local control plane writes nothing else).
pub fn pg_settings_schema() -> Value {
    json!({
        "type": "object",
        "title": "postgresql.conf configuration values",
        "properties": {
            "max_connections": {"type": "integer", "minimum": 25, "maximum": 10000, "default": 100, "title": "max_connections", "description": "PostgreSQL maximum number of concurrent connections (applied with a restart)"},
            "work_mem": {"type": "integer", "minimum": 1, "maximum": 1024, "default": 4, "title": "work_mem", "description": "Memory in MB used by internal sort operations and hash tables"},
            "statement_timeout": {"type": "integer", "minimum": 0, "default": 0, "title": "statement_timeout", "description": "Abort statements that take longer than this many milliseconds (0 disables)"},
            "idle_in_transaction_session_timeout": {"type": "integer", "minimum": 0, "default": 0, "title": "idle_in_transaction_session_timeout", "description": "Time out sessions idle in a transaction after this many milliseconds (0 disables)"},
            "log_min_duration_statement": {"type": "integer", "minimum": -1, "default": -1, "title": "log_min_duration_statement", "description": "Log statements that take at least this many milliseconds (-1 disables)"},
            "timezone": {"type": "string", "maxLength": 64, "title": "timezone", "description": "PostgreSQL service timezone"}
        }
    })
}

pub fn user_config_schema(pg_major: &str) -> Value {
    json!({
        "type": "object",
        "title": "PostgreSQL user configurable settings",
        "properties": {
            "pg_version": {"type": ["string", "null"], "enum": [pg_major, null], "default": pg_major, "title": "PostgreSQL major version", "description": "The PostgreSQL version installed on this machine"},
            "service_to_fork_from": {"type": ["string", "null"], "maxLength": 64, "pattern": "^[a-z][-a-z0-9]{0,63}$|^$", "title": "Name of another service to fork from. This has effect only when a new service is being created.", "create_only": true},
            "project_to_fork_from": {"type": ["string", "null"], "maxLength": 63, "pattern": "^[a-z][-a-z0-9]{0,63}$|^$", "title": "Name of another project to fork a service from. This has effect only when a new service is being created.", "create_only": true},
            "recovery_target_time": {"type": ["string", "null"], "maxLength": 32, "title": "Recovery target time when forking a service. This has effect only when a new service is being created.", "example": "2019-01-01 23:34:45", "create_only": true},
            "pg": pg_settings_schema()
        }
    })
}
