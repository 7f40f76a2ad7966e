//! Repointing clients at the new service: env files rewritten in place, and the `--repoint-exec`
//! hook.

use std::path::Path;

use super::error::StepError;

/// Connection values of a service, for repointing.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Conn {
    pub uri: String,
    pub host: String,
    pub port: String,
}

impl Conn {
    pub fn of(s: &avn_api::Service) -> Option<Conn> {
        let uri = s.service_uri.clone()?;
        let params = s.service_uri_params.as_ref();
        let get = |k: &str| {
            params.and_then(|p| p.get(k)).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
        };
        Some(Conn { host: get("host").unwrap_or_default(), port: get("port").unwrap_or_default(), uri })
    }
}

/// Rewrite one env file to point at NEW: with `var`, set it to NEW's URI; otherwise replace OLD's
/// URI, host:port, host and `*PORT*=` values. Atomic, same permissions, original kept as `.bak`.
/// Returns whether the file changed (a second run changes nothing).
pub fn repoint_env(path: &Path, var: Option<&str>, old: &Conn, new: &Conn) -> Result<bool, StepError> {
    let io = |action: &'static str, p: &Path| {
        let path = p.to_path_buf();
        move |source| StepError::File { action, path, source }
    };
    let text = std::fs::read_to_string(path).map_err(io("read", path))?;
    let updated = match var {
        Some(var) => crate::env_file::set_var(&text, var, &new.uri),
        None => replace_values(&text, old, new),
    };
    if updated == text {
        return Ok(false);
    }
    let meta = std::fs::metadata(path).map_err(io("read", path))?;
    let bak = path.with_file_name(format!("{}.bak", path.file_name().and_then(|n| n.to_str()).unwrap_or("env")));
    if !bak.exists() {
        std::fs::copy(path, &bak).map_err(io("write", &bak))?;
        std::fs::set_permissions(&bak, meta.permissions()).map_err(io("write", &bak))?;
    }
    avn_util::crashsafe::write_with(path, 0o600, |f| {
        use std::io::Write;
        f.write_all(updated.as_bytes())?;
        f.set_permissions(meta.permissions())
    })
    .map_err(io("replace", path))?;
    Ok(true)
}

fn replace_values(text: &str, old: &Conn, new: &Conn) -> String {
    let mut out = text.replace(&old.uri, &new.uri);
    if !old.host.is_empty() && !old.port.is_empty() {
        out = replace_token(&out, &format!("{}:{}", old.host, old.port), &format!("{}:{}", new.host, new.port));
    }
    if !old.host.is_empty() && old.host != new.host {
        out = replace_token(&out, &old.host, &new.host);
    }
    if !old.port.is_empty() && old.port != new.port {
        let ends_nl = out.ends_with('\n');
        out = out
            .lines()
            .map(|l| match l.split_once('=') {
                Some((k, v))
                    if k.to_ascii_uppercase().contains("PORT") && v.trim().trim_matches(['"', '\'']) == old.port =>
                {
                    l.replacen(&old.port, &new.port, 1)
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        if ends_nl {
            out.push('\n');
        }
    }
    out
}

/// Replace `from` where it stands as a whole host name (not inside a longer name or word).
fn replace_token(text: &str, from: &str, to: &str) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(from) {
        let before = rest[..i].chars().next_back().or_else(|| out.chars().next_back());
        let after = rest[i + from.len()..].chars().next();
        out.push_str(&rest[..i]);
        let bounded = !before.is_some_and(is_name) && !after.is_some_and(is_name);
        out.push_str(if bounded { to } else { from });
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Run `--repoint-exec CMD` through `sh -c` with NEW's details in its environment (`AVN_*`) and
/// without Aiven credentials; its output goes to stderr. A non-zero exit is an error.
pub async fn repoint_exec(cmd: &str, old: &str, new: &str, conn: &Conn) -> Result<(), StepError> {
    let mut command = tokio::process::Command::new("sh");
    // The hook gets the new service's details, never the Aiven token.
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(crate::env_vars::is_credential) {
            command.env_remove(name);
        }
    }
    let status = command
        .arg("-c")
        .arg(cmd)
        .env("AVN_OLD_SERVICE", old)
        .env("AVN_NEW_SERVICE", new)
        .env("AVN_NEW_SERVICE_URI", &conn.uri)
        .env("AVN_NEW_HOST", &conn.host)
        .env("AVN_NEW_PORT", &conn.port)
        .stdin(std::process::Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .await
        .map_err(StepError::ExecSpawn)?;
    if status.success() {
        Ok(())
    } else {
        Err(StepError::ExecFailed(status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env_file::set_var;

    fn conn(host: &str, port: &str) -> Conn {
        Conn {
            uri: format!("postgres://avnadmin:pw@{host}:{port}/defaultdb?sslmode=require"),
            host: host.into(),
            port: port.into(),
        }
    }

    #[test]
    fn env_files_are_repointed() {
        let old = conn("old-proj.aivencloud.com", "1234");
        let new = conn("new-proj.aivencloud.com", "5678");
        let text = format!("DATABASE_URL={}\nPGHOST=old-proj.aivencloud.com\nPGPORT=1234\nOTHER=1234x\nADDR=old-proj.aivencloud.com:1234\n", old.uri);
        let out = replace_values(&text, &old, &new);
        assert_eq!(
            out,
            format!("DATABASE_URL={}\nPGHOST=new-proj.aivencloud.com\nPGPORT=5678\nOTHER=1234x\nADDR=new-proj.aivencloud.com:5678\n", new.uri)
        );
        assert_eq!(replace_values(&out, &old, &new), out, "idempotent");
        assert_eq!(set_var("A=1\nexport DB=\"x\"\n", "DB", "u"), "A=1\nexport DB=\"u\"\n");
        assert_eq!(set_var("A=1\n", "DB", "u"), "A=1\nDB=u\n");
        assert_eq!(replace_token("h=a x=a.b y=ba a", "a", "b"), "h=b x=a.b y=ba b");
    }

    #[test]
    fn file_rewrite_keeps_permissions_and_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("app.env");
        std::fs::write(&p, "DB=postgres://avnadmin:pw@a:1/defaultdb?sslmode=require\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(repoint_env(&p, None, &conn("a", "1"), &conn("b", "2")).unwrap());
        assert!(!repoint_env(&p, None, &conn("a", "1"), &conn("b", "2")).unwrap());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "DB=postgres://avnadmin:pw@b:2/defaultdb?sslmode=require\n");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640);
        assert!(std::fs::read_to_string(dir.path().join("app.env.bak")).unwrap().contains("@a:1/"));
    }
}
