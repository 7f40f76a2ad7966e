//! `--run-sql FILE[@DB]`: sanitise a copy before anyone uses it. Each file runs as the admin user,
//! in one transaction, against the fork's default database (or DB), after the fork accepts
//! connections and before the command reports it ready. A failure rolls the file back and names
//! the file, line and error; the caller then terminates the fork (unless `--keep-on-failure`).
//!
//! After the files ran, the fork carries the tag `avn_run_sql` (a hash of the files and their
//! databases), so a retried job that adopts the fork (`--if-not-exists`) knows whether these
//! exact files already ran on it, and runs them when they did not.

use std::collections::BTreeMap;

use serde_json::json;
use serde_json::Value;

use crate::context::Context;
use crate::error::CliError;

/// The tag recording which files ran on a fork.
pub const TAG: &str = "avn_run_sql";

pub use avn_cli::parse::SqlFile;

/// A short hash of the files' contents and databases and of the fork they ran on (its creation
/// time), for the tag: a tag copied onto another service never vouches for it.
pub fn fingerprint(files: &[SqlFile], fork_created: &str) -> String {
    // FNV-1a, 64 bits: enough to tell one set of files from another; not a security measure.
    let mut bytes: Vec<u8> = fork_created.bytes().chain([0]).collect();
    for f in files {
        bytes.extend(f.db.as_deref().unwrap_or("").bytes().chain([0]));
        bytes.extend(std::fs::read(&f.path).unwrap_or_default());
        bytes.push(0);
    }
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    format!("{h:016x}")
}

/// Whether these files already ran on this service (its tag says so, for its creation time).
pub fn already_ran(service: &avn_api::Service, files: &[SqlFile]) -> bool {
    let tags: Option<&BTreeMap<String, String>> = service.tags.as_ref();
    tags.and_then(|t| t.get(TAG)).is_some_and(|v| *v == fingerprint(files, &service.create_time))
}

/// Run the files in order, each in its own transaction; stop at the first failure.
/// Returns what ran, as data for `--json`.
pub async fn run(
    ctx: &Context<'_>,
    project: &str,
    service: &avn_api::Service,
    files: &[SqlFile],
) -> anyhow::Result<Vec<Value>> {
    let uri = service.service_uri.as_deref().ok_or_else(|| {
        CliError::failed(format!("'{}' has no connection URI: cannot run --run-sql", service.service_name))
    })?;
    if service.service_type == "mysql" {
        return run_mysql(ctx, project, service, uri, files).await;
    }
    let base = ctx.pg_conn(project, uri).await?.with_connect_timeout(std::time::Duration::from_secs(30));
    let mut ran = vec![];
    for f in files {
        let text = std::fs::read_to_string(&f.path)
            .map_err(|e| CliError::failed(format!("cannot read {}: {e}", f.path.display())))?;
        let info = match &f.db {
            Some(db) => base.with_dbname(db),
            None => base.clone(),
        };
        let where_ = f.db.as_deref().unwrap_or("the default database");
        let client = info.connect().await.map_err(|e| {
            CliError::failed(format!("--run-sql {}: cannot connect to {where_}: {e}", f.path.display()))
        })?;
        // One transaction; a lock another session holds fails the file rather than hanging the job.
        client.batch_execute("BEGIN; SET LOCAL lock_timeout = '60s'").await.map_err(crate::pg::PgError::from)?;
        if let Err(e) = client.batch_execute(&text).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(sql_error(f, &text, &e).into());
        }
        client.batch_execute("COMMIT").await.map_err(|e| sql_error(f, &text, &e))?;
        ctx.printer.info(&format!("Ran {} on '{}' ({where_})", f.path.display(), service.service_name));
        ran.push(json!({"file": f.path, "database": f.db}));
    }
    Ok(ran)
}

/// `--run-sql` on a MySQL service: each file in one transaction, over TLS with the project's
/// trust. MySQL commits DDL statements (`CREATE`, `ALTER`, `DROP`) by itself: those are not rolled
/// back when a later statement fails, and the error says so.
async fn run_mysql(
    ctx: &Context<'_>,
    project: &str,
    service: &avn_api::Service,
    uri: &str,
    files: &[SqlFile],
) -> anyhow::Result<Vec<Value>> {
    use mysql_async::prelude::Queryable;
    let base = crate::mysql::MyConn::parse(uri, ctx.pg_trust(project).await)?;
    let mut ran = vec![];
    for f in files {
        let text = std::fs::read_to_string(&f.path)
            .map_err(|e| CliError::failed(format!("cannot read {}: {e}", f.path.display())))?;
        let info = match &f.db {
            Some(db) => base.clone().with_db(db),
            None => base.clone(),
        };
        let where_ = f.db.as_deref().unwrap_or("the default database");
        let connect = tokio::time::timeout(std::time::Duration::from_secs(30), info.connect());
        let mut c = match connect.await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                return Err(CliError::failed(format!(
                    "--run-sql {}: cannot connect to {where_}: {e}",
                    f.path.display()
                ))
                .into())
            }
            Err(_) => {
                return Err(CliError::failed(format!(
                    "--run-sql {}: cannot connect to {where_}: timed out",
                    f.path.display()
                ))
                .into())
            }
        };
        let failed = |e: mysql_async::Error| {
            CliError::failed(format!(
                "--run-sql {} failed: {}; its changes were rolled back, except DDL statements, which MySQL commits by itself",
                f.path.display(),
                crate::mysql::MyError::from(e)
            ))
        };
        // A lock another session holds fails the file rather than hanging the job.
        c.query_drop("SET SESSION innodb_lock_wait_timeout = 60").await.map_err(failed)?;
        c.query_drop("START TRANSACTION").await.map_err(failed)?;
        if let Err(e) = c.query_drop(&text).await {
            let _ = c.query_drop("ROLLBACK").await;
            return Err(failed(e).into());
        }
        c.query_drop("COMMIT").await.map_err(failed)?;
        let _ = c.disconnect().await;
        ctx.printer.info(&format!("Ran {} on '{}' ({where_})", f.path.display(), service.service_name));
        ran.push(json!({"file": f.path, "database": f.db}));
    }
    Ok(ran)
}

/// `--run-sql mask.sql failed at line 3: column "emial" does not exist`.
fn sql_error(f: &SqlFile, text: &str, e: &tokio_postgres::Error) -> CliError {
    let (message, line) = match e.as_db_error() {
        Some(db) => {
            let line = match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(p)) => {
                    let upto: String = text.chars().take((*p as usize).saturating_sub(1)).collect();
                    Some(upto.matches('\n').count() + 1)
                }
                _ => None,
            };
            (db.message().to_string(), line)
        }
        None => (e.to_string(), None),
    };
    let at = line.map(|l| format!(" at line {l}")).unwrap_or_default();
    CliError::failed(format!("--run-sql {} failed{at}: {message}; its changes were rolled back", f.path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use avn_cli::parse::parse_sql_file as parse;

    #[test]
    fn files_databases_and_fingerprints() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("mask.sql");
        std::fs::write(&p, "UPDATE users SET email = 'x';").unwrap();
        let f = parse(p.to_str().unwrap()).unwrap();
        assert_eq!(f.db, None);
        let g = parse(&format!("{}@app", p.display())).unwrap();
        assert_eq!(g.db.as_deref(), Some("app"));
        assert!(parse("/no/such/file.sql").is_err());
        // A file named with '@' is that file.
        let at = d.path().join("mask@v2.sql");
        std::fs::write(&at, "SELECT 1;").unwrap();
        assert_eq!(parse(at.to_str().unwrap()).unwrap(), SqlFile { path: at.clone(), db: None });
        let t = "2026-11-21T10:00:00Z";
        assert_ne!(fingerprint(std::slice::from_ref(&f), t), fingerprint(std::slice::from_ref(&g), t));
        let tags: BTreeMap<String, String> = [(TAG.to_string(), fingerprint(std::slice::from_ref(&f), t))].into();
        let mut svc: avn_api::Service = serde_json::from_value(serde_json::json!({"service_name": "s",
            "service_type": "pg", "plan": "p", "cloud_name": "c", "state": "RUNNING", "create_time": t}))
        .unwrap();
        svc.tags = Some(tags);
        assert!(already_ran(&svc, std::slice::from_ref(&f)));
        svc.create_time = "2026-11-21T11:00:00Z".into();
        assert!(!already_ran(&svc, std::slice::from_ref(&f)), "the tag of another incarnation vouches for nothing");
        svc.create_time = t.into();
        std::fs::write(&p, "UPDATE users SET email = 'y';").unwrap();
        assert!(!already_ran(&svc, std::slice::from_ref(&f)), "a changed file runs again");
    }
}
