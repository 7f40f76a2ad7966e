//! The concrete actions of a rename, each idempotent: stop and restore writes on PostgreSQL,
//! count rows, rewrite env files, run the repoint hook.

use std::collections::BTreeMap;
use std::path::Path;

use tokio_postgres::Client;

/// `postgres://u:p@h:1/defaultdb?x` with another database name.
pub fn uri_for_db(uri: &str, db: &str) -> String {
    let (base, query) = match uri.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (uri, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end).unwrap_or(base.len());
    let encoded: String = db
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut out = format!("{}/{encoded}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

async fn connect(uri: &str) -> Result<Client, String> {
    crate::pg::connect(uri).await
}

fn sqlstate(e: &tokio_postgres::Error) -> Option<String> {
    e.code().map(|c| c.code().to_string())
}

/// Databases that take connections, and whether the admin user can change each one's defaults.
pub async fn databases(uri: &str) -> Result<Vec<(String, bool)>, String> {
    let c = connect(uri).await?;
    let rows = c
        .query(
            "SELECT datname::text, (pg_get_userbyid(datdba) = current_user OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)) \
             FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname NOT IN ('postgres', '_aiven') ORDER BY datname",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Make every database default to read-only transactions, end other sessions so clients
/// reconnect read-only, and prove that a write in a fresh session fails.
pub async fn stop_writes(uri: &str, dbs: &[String]) -> Result<usize, String> {
    let c = connect(uri).await?;
    // A session-level setting beats the database default, so this session can undo it later.
    c.batch_execute("SET default_transaction_read_only = off").await.map_err(|e| e.to_string())?;
    for db in dbs {
        c.batch_execute(&format!("ALTER DATABASE {} SET default_transaction_read_only = on", ident(db)))
            .await
            .map_err(|e| format!("cannot make {db} read-only: {e}"))?;
    }
    let row = c
        .query_one(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND datname IS NOT NULL",
            &[],
        )
        .await
        .map_err(|e| format!("cannot end other sessions: {e}"))?;
    let ended: i64 = row.get(0);
    for db in dbs {
        prove_read_only(&uri_for_db(uri, db), db).await?;
    }
    Ok(ended as usize)
}

async fn prove_read_only(uri: &str, db: &str) -> Result<(), String> {
    let c = connect(uri).await?;
    match c.batch_execute("CREATE TABLE avn_rename_write_probe (x int)").await {
        Err(e) if sqlstate(&e).as_deref() == Some("25006") => Ok(()),
        Err(e) => Err(format!("unexpected error while proving {db} is read-only: {e}")),
        Ok(()) => {
            let _ = c.batch_execute("DROP TABLE avn_rename_write_probe").await;
            Err(format!("a write to {db} in a fresh session succeeded: writes are not stopped"))
        }
    }
}

/// Clear the read-only defaults and prove a write succeeds in a fresh session.
pub async fn open_writes(uri: &str, dbs: &[String]) -> Result<(), String> {
    let c = connect(uri).await?;
    c.batch_execute("SET default_transaction_read_only = off").await.map_err(|e| e.to_string())?;
    for db in dbs {
        c.batch_execute(&format!("ALTER DATABASE {} RESET default_transaction_read_only", ident(db)))
            .await
            .map_err(|e| format!("cannot restore writes on {db}: {e}"))?;
    }
    for db in dbs {
        let c = connect(&uri_for_db(uri, db)).await?;
        c.batch_execute("CREATE TABLE avn_rename_write_probe (x int); DROP TABLE avn_rename_write_probe")
            .await
            .map_err(|e| format!("a write to {db} still fails: {e}"))?;
    }
    Ok(())
}

/// Exact row counts of every user table, keyed `db.schema.table`.
pub async fn row_counts(uri: &str, dbs: &[String]) -> Result<BTreeMap<String, i64>, String> {
    let mut out = BTreeMap::new();
    for db in dbs {
        let c = connect(&uri_for_db(uri, db)).await?;
        let tables = c
            .query(
                "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                 AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' ORDER BY 1, 2",
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        for t in tables {
            let (schema, table): (String, String) = (t.get(0), t.get(1));
            let row = c
                .query_one(&format!("SELECT count(*) FROM {}.{}", ident(&schema), ident(&table)), &[])
                .await
                .map_err(|e| format!("cannot count {db}.{schema}.{table}: {e}"))?;
            out.insert(format!("{db}.{schema}.{table}"), row.get::<_, i64>(0));
        }
    }
    Ok(out)
}

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
pub fn repoint_env(path: &Path, var: Option<&str>, old: &Conn, new: &Conn) -> Result<bool, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let updated = match var {
        Some(var) => set_var(&text, var, &new.uri),
        None => replace_values(&text, old, new),
    };
    if updated == text {
        return Ok(false);
    }
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    let bak = path.with_file_name(format!("{}.bak", path.file_name().and_then(|n| n.to_str()).unwrap_or("env")));
    if !bak.exists() {
        std::fs::copy(path, &bak).map_err(|e| format!("cannot write {}: {e}", bak.display()))?;
        std::fs::set_permissions(&bak, meta.permissions()).map_err(|e| e.to_string())?;
    }
    let tmp = path.with_file_name(format!(".{}.avn-tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("env")));
    std::fs::write(&tmp, &updated).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::set_permissions(&tmp, meta.permissions()).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))?;
    Ok(true)
}

fn set_var(text: &str, var: &str, value: &str) -> String {
    let mut found = false;
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| {
            let trimmed = l.trim_start();
            let (prefix, rest) = match trimmed.strip_prefix("export ") {
                Some(r) => ("export ", r.trim_start()),
                None => ("", trimmed),
            };
            match rest.strip_prefix(var).and_then(|r| r.strip_prefix('=')) {
                Some(old_value) => {
                    found = true;
                    let quote = old_value.chars().next().filter(|c| *c == '"' || *c == '\'');
                    match quote {
                        Some(q) => format!("{prefix}{var}={q}{value}{q}"),
                        None => format!("{prefix}{var}={value}"),
                    }
                }
                None => l.to_string(),
            }
        })
        .collect();
    if !found {
        lines.push(format!("{var}={value}"));
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') || !found {
        out.push('\n');
    }
    out
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

/// Run `--repoint-exec CMD` through `sh -c` with NEW's details in its environment; its output
/// goes to stderr. A non-zero exit is an error.
pub async fn repoint_exec(cmd: &str, old: &str, new: &str, conn: &Conn) -> Result<(), String> {
    let status = tokio::process::Command::new("sh")
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
        .map_err(|e| format!("cannot run --repoint-exec: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("--repoint-exec exited with {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(host: &str, port: &str) -> Conn {
        Conn {
            uri: format!("postgres://avnadmin:pw@{host}:{port}/defaultdb?sslmode=require"),
            host: host.into(),
            port: port.into(),
        }
    }

    #[test]
    fn uri_database_is_replaced() {
        assert_eq!(
            uri_for_db("postgres://u:p@h:1/defaultdb?sslmode=x", "app db"),
            "postgres://u:p@h:1/app%20db?sslmode=x"
        );
        assert_eq!(uri_for_db("postgres://u:p@h:1", "a"), "postgres://u:p@h:1/a");
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
