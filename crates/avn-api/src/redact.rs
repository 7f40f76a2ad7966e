//! Masking of secrets (passwords, tokens, keys) in API values and connection URIs.
//!
//! Used wherever a value may reach a person's screen or a log: tables, `--json` without
//! `--show-secrets`, and the `--show-http` trace.

use serde_json::Value;

/// What a masked secret is replaced with.
pub const MASK: &str = "********";

/// Whether a JSON key names a secret.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password")
        || k.ends_with("token")
        || k.ends_with("secret")
        || k == "access_key"
        || k.ends_with("private_key")
}

/// Replace the password in the user-info part of a URI (`scheme://user:pass@host`), if any.
pub fn mask_uri(uri: &str) -> String {
    let Some(scheme_end) = uri.find("://") else {
        return uri.to_string();
    };
    let rest = &uri[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return uri.to_string();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return uri.to_string();
    };
    format!("{}{}:{}{}", &uri[..scheme_end + 3], &userinfo[..colon], MASK, &rest[at..])
}

/// Mask every secret inside a JSON value, in place.
pub fn redact_value(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_key(k) && !v.is_null() && !v.is_object() && !v.is_array() {
                    *v = Value::String(MASK.into());
                } else {
                    redact_value(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        Value::String(s) if s.contains("://") => {
            let masked = mask_uri(s);
            if masked != *s {
                *s = masked;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_uri_password_only() {
        assert_eq!(
            mask_uri("postgres://avnadmin:s3cr%40t@db.local:5432/defaultdb?sslmode=require"),
            "postgres://avnadmin:********@db.local:5432/defaultdb?sslmode=require"
        );
        assert_eq!(mask_uri("https://api.aiven.io/v1"), "https://api.aiven.io/v1");
        assert_eq!(mask_uri("postgres://user@h/db"), "postgres://user@h/db");
    }

    #[test]
    fn masks_nested_secrets() {
        let mut v = serde_json::json!({"service_uri": "postgres://a:SECRET1@h:1/d",
            "users": [{"username": "avnadmin", "password": "SECRET2"}],
            "auth_token": "SECRET3", "service_uri_params": {"password": "SECRET4", "port": "1"}});
        redact_value(&mut v);
        let s = v.to_string();
        assert!(!s.contains("SECRET"), "{s}");
        assert_eq!(v["service_uri_params"]["port"], "1");
        assert_eq!(v["users"][0]["username"], "avnadmin");
    }
}
