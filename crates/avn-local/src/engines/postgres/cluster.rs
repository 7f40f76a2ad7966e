//! One cluster's set-up: initdb, its directories, its configuration files, readiness, the
//! administrator role, and what it holds (databases and roles). Base backups are in
//! `basebackup`, WAL positions and the archive in `wal`.

use std::path::Path;
use std::time::Duration;

use serde_json::Map;
use serde_json::Value;

use tokio_postgres::error::SqlState;

use super::conf;
use super::process::ClusterError;
use super::process::Pg;
use super::process::Running;
use super::sql;
use crate::engines::Layout;

/// How a cluster recovers when it starts (forks only).
#[derive(Debug, Clone)]
pub struct Recovery {
    /// The source's WAL archive.
    pub restore_from: std::path::PathBuf,
    /// Where the compressed segments this recovery needs were decompressed (`archive::stage`).
    pub staging: std::path::PathBuf,
    /// `None`: replay everything archived (the latest transaction).
    pub target_time: Option<String>,
}

/// `initdb` a new cluster into `layout.data()`.
pub async fn initdb(pg: &Pg, layout: &Layout) -> Result<(), ClusterError> {
    pg.private_dir(&layout.data())?;
    let data = layout.data();
    pg.run(
        "initdb",
        &[
            "-D",
            &data.to_string_lossy(),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
    )
    .await?;
    let conf = data.join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf)?;
    text.push_str("\n# avn local: the service's settings, then the instance's (both rewritten by avn)\ninclude_if_exists = 'avn-user.conf'\ninclude_if_exists = 'avn-instance.conf'\n");
    std::fs::write(&conf, text)?;
    Ok(())
}

/// Prepare the instance directories (archive, base, run) owned by the server user.
pub fn make_dirs(pg: &Pg, layout: &Layout) -> Result<(), ClusterError> {
    std::fs::create_dir_all(&layout.root)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&layout.root, std::fs::Permissions::from_mode(0o711))?;
    // Before anything is created in it: the data directory, a fork's copy and backups inherit it.
    if crate::engines::copy::detect(&layout.root) == crate::engines::copy::Method::Reflink {
        crate::engines::copy::small_cow_extents(&layout.root);
    }
    for d in [layout.archive(), layout.base(), layout.run()] {
        pg.private_dir(&d)?;
    }
    Ok(())
}

/// Replace `path` with `text`, owned by the server user and created with `mode` (a key must
/// never be readable by others, not even for a moment), crash-safely.
pub(super) fn write_owned_mode(pg: &Pg, path: &Path, text: &str, mode: u32) -> Result<(), ClusterError> {
    use std::io::Write;
    avn_util::crashsafe::write_with(path, mode, |f| {
        f.write_all(text.as_bytes())?;
        pg.fchown(f)
    })?;
    Ok(())
}

fn write_owned(pg: &Pg, path: &Path, text: &str) -> Result<(), ClusterError> {
    write_owned_mode(pg, path, text, 0o644)
}

/// Write `avn-instance.conf`: where to listen, archiving, and recovery for forks.
pub fn write_instance_conf(
    pg: &Pg,
    layout: &Layout,
    ca: &crate::tls::Authority,
    port: u16,
    archive: bool,
    recovery: Option<&Recovery>,
) -> Result<(), ClusterError> {
    // TLS as on Aiven: a certificate from the local CA, written where the server user reads it.
    let (cert, key) = ca.issue_server().map_err(|e| ClusterError::Tls(e.to_string()))?;
    write_owned_mode(pg, &layout.data().join("server.crt"), &cert, 0o600)?;
    write_owned_mode(pg, &layout.data().join("server.key"), &key, 0o600)?;
    let run = conf::quote("the socket directory", &layout.run().to_string_lossy())?;
    let mut s = format!(
        "# Written by avn local; changes are overwritten.\n\
         listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = {}\n\
         wal_level = replica\nmax_wal_senders = 10\nlogging_collector = off\n\
         log_min_error_statement = panic\n\
         shared_preload_libraries = 'pg_stat_statements'\n\
         ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n\
         archive_mode = {}\n",
        run,
        if archive { "on" } else { "off" },
    );
    if archive {
        let a = conf::shell_word(&layout.archive().to_string_lossy());
        // Crash-safe: copy to a temporary name, fsync it, rename it, fsync the directory. A
        // partial file left by a crash or a full disk is overwritten by the next try (and
        // removed when a try fails), so it never blocks archiving; an identical segment already
        // there counts as archived, a different one is an error (PostgreSQL's documented rule).
        let cmd = format!(
            "f={a}/\"%f\"; if test -f \"$f\"; then cmp -s \"%p\" \"$f\"; else \
             cp \"%p\" \"$f.partial\" && sync \"$f.partial\" && mv \"$f.partial\" \"$f\" && sync {a} \
             || {{ rm -f \"$f.partial\"; exit 1; }}; fi"
        );
        s.push_str(&format!("archive_command = {}\n", conf::quote("archive_command", &cmd)?));
    }
    if let Some(r) = recovery {
        let cmd = super::archive::restore_command(&r.restore_from, &r.staging);
        s.push_str(&format!(
            "restore_command = {}\nrecovery_target_timeline = 'latest'\n",
            conf::quote("restore_command", &cmd)?
        ));
        if let Some(t) = &r.target_time {
            let t = conf::quote("recovery_target_time", t)?;
            s.push_str(&format!("recovery_target_time = {t}\nrecovery_target_action = 'promote'\n"));
        }
        // A fork being restored: nobody uses it yet, and a crash during the restore starts it
        // again from scratch (the fork removes the partial copy first), so nothing is synced
        // while it replays; engines/postgres/fork.rs makes the whole directory durable once, after promotion
        // and before the fork is reported RUNNING (`make_durable`). Replay reads ahead, and
        // checkpoints wait for the end.
        s.push_str(
            "fsync = off\nrecovery_prefetch = try\nmaintenance_io_concurrency = 32\n\
             max_wal_size = '16GB'\ncheckpoint_timeout = '1h'\n",
        );
    }
    write_owned(pg, &layout.instance_conf(), &s)
}

/// Write `avn-user.conf` from the service's `pg.*` user_config.
pub fn write_user_conf(pg: &Pg, layout: &Layout, user_config: &Map<String, Value>) -> Result<(), ClusterError> {
    let mut s = String::from("# The service's pg.* user_config, written by avn local.\n");
    if let Some(Value::Object(pgc)) = user_config.get("pg") {
        for (k, v) in pgc {
            let val = match (k.as_str(), v) {
                ("work_mem", Value::Number(n)) => format!("'{n}MB'"),
                (_, Value::Number(n)) => n.to_string(),
                (_, Value::String(t)) => conf::quote("a pg.* setting", t)?,
                _ => continue,
            };
            s.push_str(&format!("{k} = {val}\n"));
        }
    }
    write_owned(pg, &layout.user_conf(), &s)
}

/// Wait until the server accepts connections (read-only during recovery counts).
pub async fn wait_ready(layout: &Layout, port: u16, running: &Running, timeout: Duration) -> Result<(), ClusterError> {
    let ready =
        avn_util::wait::until("the server to accept connections", timeout, Duration::from_millis(50), || async {
            if !running.is_alive() {
                return Some(Err(ClusterError::Exited { during: "start-up", log: log_tail(layout) }));
            }
            sql::connect(layout, port, "postgres").await.is_ok().then_some(Ok(()))
        });
    ready.await.map_err(|_| ClusterError::NotReady(timeout))?
}

/// The last lines of the server log, for error messages.
pub fn log_tail(layout: &Layout) -> String {
    let text = std::fs::read_to_string(layout.log()).unwrap_or_default();
    let lines: Vec<&str> =
        text.lines().filter(|l| l.contains("FATAL") || l.contains("ERROR") || l.contains("PANIC")).collect();
    lines.iter().rev().take(3).rev().cloned().collect::<Vec<_>>().join(" | ")
}

/// The service's administrator role and its default database.
pub const ADMIN: &str = "avnadmin";
pub const DEFAULT_DB: &str = "defaultdb";

/// Create `avnadmin` (with `password`) and `defaultdb`.
pub async fn create_admin(layout: &Layout, port: u16, password: &str) -> Result<(), ClusterError> {
    let c = password_session(layout, port).await?;
    let admin = sql::ident(ADMIN);
    c.batch_execute(&format!(
        "CREATE ROLE {admin} LOGIN CREATEDB CREATEROLE REPLICATION PASSWORD {pw};\n\
         GRANT pg_signal_backend, pg_read_all_stats TO {admin};",
        pw = verifier(password)
    ))
    .await?;
    c.batch_execute(&format!("CREATE DATABASE {} OWNER {admin}", sql::ident(DEFAULT_DB))).await?;
    // PostgreSQL 15+: let avnadmin stop and restore writes (used by `avn service rename`).
    for grant in [
        format!("GRANT ALTER SYSTEM ON PARAMETER default_transaction_read_only TO {admin}"),
        format!("GRANT EXECUTE ON FUNCTION pg_reload_conf() TO {admin}"),
    ] {
        if let Err(e) = c.batch_execute(&grant).await.map_err(ClusterError::from) {
            if e.sqlstate() == Some(&SqlState::SYNTAX_ERROR) {
                tracing::debug!("{grant}: not supported by this PostgreSQL version ({e})");
            } else {
                tracing::warn!("{grant}: {e}");
            }
        }
    }
    // A rename switches WAL after its fence, so that the fence's segment is archived at once;
    // function privileges are per database, and renames write the fence in the default one.
    let d = sql::connect(layout, port, DEFAULT_DB).await?;
    if let Err(e) = d.batch_execute(&format!("GRANT EXECUTE ON FUNCTION pg_switch_wal() TO {admin}")).await {
        tracing::warn!("granting pg_switch_wal to {ADMIN}: {e}");
    }
    Ok(())
}

/// Databases and login roles, as a service object lists them.
pub async fn inventory(layout: &Layout, port: u16) -> Result<(Vec<String>, Vec<String>), ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    let dbs = c
        .query(
            "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY datname",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let users = c
        .query("SELECT rolname::text FROM pg_roles WHERE rolcanlogin AND rolname <> 'postgres' ORDER BY rolname", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok((dbs, users))
}

/// A password as the statement that sets it carries it: a SCRAM-SHA-256 verifier computed here,
/// never the password itself, so no statement text (`pg_stat_statements`, a log) holds it.
fn verifier(password: &str) -> String {
    sql::literal(&postgres_protocol::password::scram_sha_256(password.as_bytes()))
}

/// A superuser session whose statements `pg_stat_statements` does not record (they set passwords).
async fn password_session(layout: &Layout, port: u16) -> Result<tokio_postgres::Client, ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    c.batch_execute("SET pg_stat_statements.track_utility = off").await?;
    Ok(c)
}

/// `CREATE ROLE user LOGIN PASSWORD …`.
pub async fn create_user(layout: &Layout, port: u16, user: &str, password: &str) -> Result<(), ClusterError> {
    let c = password_session(layout, port).await?;
    let sql = format!("CREATE ROLE {} LOGIN PASSWORD {}", sql::ident(user), verifier(password));
    Ok(c.batch_execute(&sql).await?)
}

/// `ALTER ROLE user PASSWORD …`: the old password stops working at once.
pub async fn set_password(layout: &Layout, port: u16, user: &str, password: &str) -> Result<(), ClusterError> {
    let c = password_session(layout, port).await?;
    Ok(c.batch_execute(&format!("ALTER ROLE {} PASSWORD {}", sql::ident(user), verifier(password))).await?)
}

/// `ALTER ROLE user REPLICATION`.
pub async fn allow_replication(layout: &Layout, port: u16, user: &str) -> Result<(), ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    Ok(c.batch_execute(&format!("ALTER ROLE {} REPLICATION", sql::ident(user))).await?)
}

/// `DROP ROLE user`.
pub async fn delete_user(layout: &Layout, port: u16, user: &str) -> Result<(), ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    Ok(c.batch_execute(&format!("DROP ROLE {}", sql::ident(user))).await?)
}

/// `CREATE DATABASE name OWNER avnadmin`, from `template0` with the locale given, if any.
pub async fn create_database(
    layout: &Layout,
    port: u16,
    name: &str,
    lc_collate: Option<&str>,
    lc_ctype: Option<&str>,
) -> Result<(), ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    let mut stmt = format!("CREATE DATABASE {} OWNER {}", sql::ident(name), sql::ident(ADMIN));
    if lc_collate.is_some() || lc_ctype.is_some() {
        stmt.push_str(" TEMPLATE template0");
    }
    if let Some(l) = lc_collate {
        stmt.push_str(&format!(" LC_COLLATE {}", sql::literal(l)));
    }
    if let Some(l) = lc_ctype {
        stmt.push_str(&format!(" LC_CTYPE {}", sql::literal(l)));
    }
    Ok(c.batch_execute(&stmt).await?)
}

/// The databases a service object lists, with their locales: (name, collate, ctype).
pub async fn databases(layout: &Layout, port: u16) -> Result<Vec<(String, String, String)>, ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    Ok(c.query(
        "SELECT datname::text, datcollate::text, datctype::text FROM pg_database \
         WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY datname",
        &[],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect())
}

/// `DROP DATABASE name`.
pub async fn delete_database(layout: &Layout, port: u16, name: &str) -> Result<(), ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    Ok(c.batch_execute(&format!("DROP DATABASE {}", sql::ident(name))).await?)
}
