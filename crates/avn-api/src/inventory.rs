//! What lives inside a service besides its data: service users, databases and connection pools
//! (`{base}/user`, `{base}/db`, `{base}/connection_pool`), as request bodies and answers.
//! Request types refuse unknown keys, so the local server names a mistyped one.

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

use crate::service::ServiceUser;

/// `POST {base}/user`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    pub username: String,
    /// MySQL: `caching_sha2_password` or `mysql_native_password`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<String>,
    /// Valkey ACL rules, or `pg_allow_replication`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_control: Option<Map<String, Value>>,
}

/// `PUT {base}/user/{username}`: `operation` is `reset-credentials`, `acknowledge-renewal` or
/// `set-access-control`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserModify {
    pub operation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_control: Option<Map<String, Value>>,
}

/// The operation of `user-password-reset`.
pub const RESET_CREDENTIALS: &str = "reset-credentials";
/// The operation of `user-creds-acknowledge`.
pub const ACKNOWLEDGE_RENEWAL: &str = "acknowledge-renewal";
/// The operation of `user-set-access-control`.
pub const SET_ACCESS_CONTROL: &str = "set-access-control";

/// `{"user": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserOut {
    pub user: ServiceUser,
}

/// `POST {base}/db`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatabaseCreate {
    pub database: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lc_collate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lc_ctype: Option<String>,
}

/// One entry of `GET {base}/db`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Database {
    pub database_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lc_collate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lc_ctype: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"databases": [...]}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabasesOut {
    pub databases: Vec<Database>,
}

/// PgBouncer's pool modes, as the API names them.
pub const POOL_MODES: &[&str] = &["session", "transaction", "statement"];

/// `POST {base}/connection_pool`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PoolCreate {
    pub database: String,
    pub pool_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_mode: Option<String>,
}

/// `PUT {base}/connection_pool/{pool_name}`: only the keys given change; `"username": null`
/// makes the pool one without a fixed user.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PoolUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::double_option")]
    pub username: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_mode: Option<String>,
}

/// Whether `name` can be a service user's name: 1 to 63 characters (PostgreSQL's limit), a
/// letter, digit or `_` first, then letters, digits, `_`, `-` and `.`.
pub fn valid_username(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Whether `name` can be a database's or a pool's name: 1 to 63 characters, a letter or `_`
/// first, then letters, digits, `_` and `-`.
pub fn valid_object_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rules_of_the_api() {
        assert!(valid_username("app_user-1.x") && valid_username("1app"));
        assert!(
            !valid_username("") && !valid_username("a b") && !valid_username("-x") && !valid_username(&"a".repeat(64))
        );
        assert!(valid_object_name("appdb") && valid_object_name("_pool-1"));
        assert!(!valid_object_name("1db") && !valid_object_name("a.b") && !valid_object_name(""));
    }

    #[test]
    fn a_pool_update_tells_a_null_user_from_an_absent_one() {
        let absent: PoolUpdate = serde_json::from_str(r#"{"pool_size": 5}"#).unwrap();
        assert_eq!(absent.username, None);
        let null: PoolUpdate = serde_json::from_str(r#"{"username": null}"#).unwrap();
        assert_eq!(null.username, Some(None));
        assert_eq!(serde_json::to_string(&null).unwrap(), r#"{"username":null}"#);
        assert!(serde_json::from_str::<PoolUpdate>(r#"{"pool_sise": 5}"#).is_err());
    }
}
