//! ACL users of a Caching service: the rules Aiven's `access_control` describes, the ACL file,
//! and stopping and opening writes for a rename.

use std::collections::BTreeMap;

use serde_json::Map;
use serde_json::Value;
use sha2::Digest;

use super::cmd;
use super::cmd::INTERNAL_ADMIN;
use super::server;
use super::ValkeyError;
use crate::engines::Layout;

/// The service's administrator, as on Aiven: the `default` user, with the service's password.
pub const ADMIN: &str = "default";

/// What no service user may run, whatever its rules: what would take the server from the
/// control plane (users, configuration, replication, modules, shutdown, snapshots, `DEBUG`), as
/// Aiven disables them. Removals only, appended last, so they never give anything.
pub const RESTRICTED: &[&str] = &[
    "-acl",
    "-config",
    "-debug",
    "-module",
    "-monitor",
    "-replicaof",
    "-slaveof",
    "-sync",
    "-psync",
    "-shutdown",
    "-save",
    "-bgsave",
    "-bgrewriteaof",
    "-failover",
    "-migrate",
    "-client|pause",
    "-client|kill",
    "-pfdebug",
    "-replconf",
];

/// The fence key a rename writes on the source once its writes are stopped.
pub use avn_api::writes::VALKEY_FENCE_KEY as FENCE_KEY;

/// `#<sha256>`: a password as the ACL file stores it.
pub fn hashed(password: &str) -> String {
    let d = sha2::Sha256::digest(password.as_bytes());
    format!("#{}", d.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// The rules of a service user from Aiven's `access_control` (`valkey_acl_keys`, `…_commands`,
/// `…_categories`, `…_channels`, each a list); a list not given is everything of its kind (every
/// key and channel, `+@all`, no single commands). Refuses what is not a pattern, a category or a
/// command.
pub fn rules(access: Option<&Map<String, Value>>) -> Result<Vec<String>, String> {
    let none = Map::new();
    let access = access.unwrap_or(&none);
    let list = |key: &str| -> Result<Vec<String>, String> {
        let default = match key {
            "valkey_acl_keys" | "valkey_acl_channels" => vec!["*".to_string()],
            "valkey_acl_categories" => vec!["+@all".to_string()],
            _ => vec![],
        };
        match access.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(String::from).ok_or_else(|| format!("access_control.{key}: a list of strings")))
                .collect(),
            Some(_) => Err(format!("access_control.{key} must be a list of strings")),
        }
    };
    for k in access.keys() {
        if !["valkey_acl_keys", "valkey_acl_commands", "valkey_acl_categories", "valkey_acl_channels"]
            .contains(&k.as_str())
        {
            return Err(format!(
                "access_control.{k} does not apply to Caching services (valkey_acl_keys, valkey_acl_commands, valkey_acl_categories, valkey_acl_channels)"
            ));
        }
    }
    let plain = |s: &str| !s.is_empty() && s.len() <= 512 && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    let mut out = vec![];
    for k in list("valkey_acl_keys")? {
        if !plain(&k) {
            return Err(format!("access_control.valkey_acl_keys: '{k}' is not a key pattern"));
        }
        out.push(format!("~{k}"));
    }
    for c in list("valkey_acl_channels")? {
        if !plain(&c) {
            return Err(format!("access_control.valkey_acl_channels: '{c}' is not a channel pattern"));
        }
        out.push(format!("&{c}"));
    }
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-|".contains(c));
    for c in list("valkey_acl_categories")? {
        if !(c.starts_with("+@") || c.starts_with("-@")) || !word(&c[2..]) {
            return Err(format!("access_control.valkey_acl_categories: '{c}' is not +@category or -@category"));
        }
        out.push(c);
    }
    for c in list("valkey_acl_commands")? {
        if !(c.starts_with('+') || c.starts_with('-')) || !word(&c[1..]) {
            return Err(format!("access_control.valkey_acl_commands: '{c}' is not +command or -command"));
        }
        out.push(c);
    }
    Ok(out)
}

/// Aiven's `access_control` of a user, read back from its rule line in `ACL LIST`
/// (`user app on #… ~app:* resetchannels &* -@all +@read -debug`), the restrictions every user
/// has left out.
pub fn access_of(line: &str) -> Map<String, Value> {
    let (mut keys, mut channels, mut categories, mut commands) = (vec![], vec![], vec![], vec![]);
    for t in line.split_whitespace().skip(2) {
        if let Some(k) = t.strip_prefix('~') {
            keys.push(k.to_string());
        } else if let Some(c) = t.strip_prefix('&') {
            channels.push(c.to_string());
        } else if t.starts_with("+@") || t.starts_with("-@") {
            categories.push(t.to_string());
        } else if (t.starts_with('+') || t.starts_with('-')) && !RESTRICTED.contains(&t) {
            commands.push(t.to_string());
        }
    }
    let v = |l: Vec<String>| Value::from(l);
    [
        ("valkey_acl_categories", v(categories)),
        ("valkey_acl_channels", v(channels)),
        ("valkey_acl_commands", v(commands)),
        ("valkey_acl_keys", v(keys)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A user's line of the ACL file.
fn line(user: &str, password: &str, rules: &[String], restricted: bool) -> String {
    let mut l = format!("user {user} on {}", hashed(password));
    for r in rules {
        l.push(' ');
        l.push_str(r);
    }
    if restricted {
        for r in RESTRICTED {
            l.push(' ');
            l.push_str(r);
        }
    }
    l
}

/// The ACL file of a new service: `default` with the service's password and every key, and the
/// control plane's own user.
pub fn new_file(password: &str, admin_password: &str) -> String {
    let all = ["~*", "&*", "+@all"].map(String::from);
    format!("{}\n{}\n", line(ADMIN, password, &all, true), line(INTERNAL_ADMIN, admin_password, &all, false))
}

/// Before each start: the control plane's own user as it must be (whatever the file says), so a
/// server always lets the control plane in. Other users' lines are kept as they are.
pub fn ensure_admin(layout: &Layout) -> Result<(), ValkeyError> {
    let admin_pw = std::fs::read_to_string(server::admin_password_file(layout))?;
    let path = server::acl_file(layout);
    let mut text = String::new();
    match server::open_regular(&path) {
        Ok(mut f) => drop(std::io::Read::read_to_string(&mut f, &mut text)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let mut out: String = text
        .lines()
        .filter(|l| l.split_whitespace().nth(1) != Some(INTERNAL_ADMIN))
        .map(|l| format!("{l}\n"))
        .collect();
    let all = ["~*", "&*", "+@all"].map(String::from);
    out.push_str(&line(INTERNAL_ADMIN, admin_pw.trim(), &all, false));
    out.push('\n');
    avn_util::crashsafe::write(&path, out.as_bytes(), 0o600)?;
    Ok(())
}

/// In a stopped instance's ACL file: each user in `before` gets its line from there (the rules it
/// had before a rename stopped writes).
pub fn restore_rules_in_file(layout: &Layout, before: &BTreeMap<String, String>) -> Result<(), ValkeyError> {
    let path = server::acl_file(layout);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut server::open_regular(&path)?, &mut text)?;
    let out: String = text
        .lines()
        .map(|l| match l.split_whitespace().nth(1).and_then(|u| before.get(u)) {
            Some(saved) => format!("{saved}\n"),
            None => format!("{l}\n"),
        })
        .collect();
    avn_util::crashsafe::write(&path, out.as_bytes(), 0o600)?;
    Ok(())
}

/// Rule lines of `ACL LIST`, by user (the control plane's own left out).
pub async fn list(layout: &Layout) -> Result<BTreeMap<String, String>, ValkeyError> {
    let mut c = cmd::admin(layout).await?;
    let lines: Vec<String> = redis::cmd("ACL").arg("LIST").query_async(&mut c).await?;
    Ok(lines
        .into_iter()
        .filter_map(|l| Some((l.split_whitespace().nth(1)?.to_string(), l)))
        .filter(|(u, _)| u != INTERNAL_ADMIN)
        .collect())
}

/// Create (or, `replace`, redefine) user `user` with `password` and `rules`, saved to the ACL file.
pub async fn set_user(
    layout: &Layout,
    user: &str,
    password: &str,
    rules: &[String],
    keep_password: bool,
) -> Result<(), ValkeyError> {
    let mut c = cmd::admin(layout).await?;
    let mut q = redis::cmd("ACL");
    q.arg("SETUSER").arg(user);
    if keep_password {
        // Only the permissions change: `resetkeys`, `resetchannels` and `-@all`, then the new ones.
        q.arg("resetkeys").arg("resetchannels").arg("-@all");
    } else {
        q.arg("reset").arg("on").arg(format!(">{password}"));
    }
    q.arg(rules).arg(RESTRICTED);
    let _: () = q.query_async(&mut c).await?;
    save(&mut c).await
}

/// Give `user` a new password; the old one stops working.
pub async fn set_password(layout: &Layout, user: &str, password: &str) -> Result<(), ValkeyError> {
    let mut c = cmd::admin(layout).await?;
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg(user)
        .arg("resetpass")
        .arg(format!(">{password}"))
        .query_async(&mut c)
        .await?;
    save(&mut c).await
}

/// Delete `user` and end its connections.
pub async fn delete_user(layout: &Layout, user: &str) -> Result<(), ValkeyError> {
    let mut c = cmd::admin(layout).await?;
    let _: i64 = redis::cmd("ACL").arg("DELUSER").arg(user).query_async(&mut c).await?;
    save(&mut c).await
}

async fn save(c: &mut redis::aio::MultiplexedConnection) -> Result<(), ValkeyError> {
    let _: () = redis::cmd("ACL").arg("SAVE").query_async(c).await?;
    Ok(())
}

/// Whether a rename keeps writes stopped.
pub fn writes_stopped(layout: &Layout) -> bool {
    server::writes_stopped_marker(layout).exists()
}

/// Stop writes: every service user loses the `@write` commands (reads go on), saved to the ACL
/// file so a restart keeps them stopped, and their connections are ended (a transaction or a
/// blocked command in flight with them). Their rules from before are kept in the marker first, once:
/// a second stop keeps the first one's. Then the fence key (as the control plane). Returns the
/// connections ended.
pub async fn stop_writes(layout: &Layout, fence: Option<&str>, remove_fence: bool) -> Result<u64, ValkeyError> {
    let marker = server::writes_stopped_marker(layout);
    let users = list(layout).await?;
    if !marker.exists() {
        let before = serde_json::to_vec(&users).map_err(std::io::Error::other)?;
        avn_util::crashsafe::write(&marker, &before, 0o600)?;
    }
    let mut c = cmd::admin(layout).await?;
    for user in users.keys() {
        let _: () = redis::cmd("ACL").arg("SETUSER").arg(user).arg("-@write").query_async(&mut c).await?;
    }
    save(&mut c).await?;
    // Proof, user by user: a write command is refused for the command itself (not for a key).
    for user in list(layout).await?.keys() {
        let r: Result<String, redis::RedisError> = redis::cmd("ACL")
            .arg("DRYRUN")
            .arg(user)
            .arg("SET")
            .arg("avn:write-probe")
            .arg("1")
            .query_async(&mut c)
            .await;
        let refused = match &r {
            Ok(text) => text.contains("'set' command"),
            Err(e) => e.to_string().contains("'set' command"),
        };
        if !refused {
            return Err(ValkeyError::Refused(format!("user '{user}' can still write after its writes were stopped")));
        }
    }
    let mut ended = 0;
    for user in users.keys() {
        let n: i64 = redis::cmd("CLIENT").arg("KILL").arg("USER").arg(user).query_async(&mut c).await.unwrap_or(0);
        ended += n.max(0) as u64;
    }
    if remove_fence {
        let _: i64 = redis::cmd("DEL").arg(FENCE_KEY).query_async(&mut c).await?;
    }
    if let Some(id) = fence {
        let _: () = redis::cmd("SET").arg(FENCE_KEY).arg(id).query_async(&mut c).await?;
    }
    Ok(ended)
}

/// Open writes: every user gets back the rules it had before the stop (users deleted meanwhile
/// stay deleted), saved; then the marker goes.
pub async fn open_writes(layout: &Layout, remove_fence: bool) -> Result<(), ValkeyError> {
    let marker = server::writes_stopped_marker(layout);
    let before: BTreeMap<String, String> = match std::fs::read(&marker) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| ValkeyError::Refused(format!("{}: {e}", marker.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(e.into()),
    };
    let now = list(layout).await?;
    let mut c = cmd::admin(layout).await?;
    for (user, rule_line) in &before {
        if !now.contains_key(user) {
            continue;
        }
        let _: () = redis::cmd("ACL")
            .arg("SETUSER")
            .arg(user)
            .arg("reset")
            .arg(rule_line.split_whitespace().skip(2).collect::<Vec<_>>())
            .query_async(&mut c)
            .await?;
    }
    save(&mut c).await?;
    if remove_fence {
        let _: i64 = redis::cmd("DEL").arg(FENCE_KEY).query_async(&mut c).await?;
    }
    if let Err(e) = std::fs::remove_file(&marker) {
        if e.kind() != std::io::ErrorKind::NotFound {
            return Err(e.into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn access_control_becomes_rules_and_is_read_back() {
        let ac = json!({"valkey_acl_keys": ["app:*"], "valkey_acl_categories": ["+@all", "-@dangerous"], "valkey_acl_commands": ["+info"], "valkey_acl_channels": ["news"]});
        let r = super::rules(ac.as_object()).unwrap();
        assert_eq!(r, ["~app:*", "&news", "+@all", "-@dangerous", "+info"]);
        assert_eq!(super::rules(None).unwrap(), ["~*", "&*", "+@all"]);
        let read = json!({"valkey_acl_categories": ["+@read"]});
        assert_eq!(super::rules(read.as_object()).unwrap(), ["~*", "&*", "+@read"]);
        let nothing = json!({"valkey_acl_keys": [], "valkey_acl_categories": []});
        assert_eq!(super::rules(nothing.as_object()).unwrap(), ["&*"]);
        for bad in [
            json!({"valkey_acl_keys": ["a b"]}),
            json!({"valkey_acl_categories": ["all"]}),
            json!({"valkey_acl_commands": ["get"]}),
            json!({"valkey_acl_commands": ["+get >x"]}),
            json!({"pg_allow_replication": true}),
            json!({"valkey_acl_keys": "*"}),
        ] {
            assert!(super::rules(bad.as_object()).is_err(), "{bad}");
        }
        let back = super::access_of("user app on #abc ~app:* resetchannels &news +@all -@dangerous +info -acl -debug");
        assert_eq!(back["valkey_acl_keys"], json!(["app:*"]));
        assert_eq!(back["valkey_acl_channels"], json!(["news"]));
        assert_eq!(back["valkey_acl_categories"], json!(["+@all", "-@dangerous"]));
        assert_eq!(back["valkey_acl_commands"], json!(["+info"]));
    }

    #[test]
    fn passwords_are_stored_hashed() {
        let h = super::hashed("secret");
        assert_eq!(h, "#2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b");
        let f = super::new_file("pw1", "pw2");
        assert!(!f.contains("pw1") && !f.contains("pw2"));
        assert!(f.starts_with("user default on #") && f.contains("\nuser avn_admin on #"));
    }
}
