//! Names the API accepts, checked the same way by the client (before sending) and avn local.

use std::fmt;

/// The longest service name Aiven accepts.
pub const MAX_SERVICE_NAME: usize = 64;

/// Why a service name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidName {
    pub name: String,
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid service name '{}'", self.name)
    }
}

impl std::error::Error for InvalidName {}

impl InvalidName {
    /// What a valid name looks like, for hints and error bodies.
    pub const RULE: &'static str =
        "a service name starts with a lower-case letter and has only a-z, 0-9 and '-', at most 64 characters";
}

/// A letter, then lower-case letters, digits and hyphens, at most 64 characters in all.
pub fn validate_service_name(name: &str) -> Result<(), InvalidName> {
    let ok = name.len() <= MAX_SERVICE_NAME
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(InvalidName { name: name.to_string() })
    }
}

/// The longest project name the local control plane accepts.
pub const MAX_PROJECT_NAME: usize = 63;

/// A project name: 1 to 63 lower-case letters, digits and hyphens; unlike a service name it may
/// start with a digit.
pub fn valid_project_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_PROJECT_NAME
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names() {
        for good in ["a", "db1", "pg-staging-2", &"a".repeat(64)] {
            assert!(validate_service_name(good).is_ok(), "{good}");
        }
        for bad in ["", "1db", "-db", "Db", "db_1", "db.1", "db 1", "dé", &"a".repeat(65)] {
            assert!(validate_service_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn project_names() {
        for good in ["p", "1st", "my-project", &"a".repeat(63)] {
            assert!(valid_project_name(good), "{good}");
        }
        for bad in ["", "P", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!valid_project_name(bad), "{bad}");
        }
    }
}

/// Percent-encode the user or password part of a URI: everything but RFC 3986's unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`), so that `@`, `:`, `/`, `#`, `?` and `%` in a password
/// survive any URI parser.
pub fn uri_userinfo(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod userinfo_tests {
    #[test]
    fn passwords_are_percent_encoded_in_uris() {
        assert_eq!(super::uri_userinfo("abc123"), "abc123");
        assert_eq!(super::uri_userinfo("a@b/c:d#e?f%g"), "a%40b%2Fc%3Ad%23e%3Ff%25g");
        assert_eq!(super::uri_userinfo("é"), "%C3%A9");
    }
}
