//! Operations on one cluster: initdb, configuration, readiness, roles, base backups, WAL
//! archiving, fork preparation and promotion.

use std::path::Path;
use std::time::Duration;
use std::time::Instant;

use serde_json::Map;
use serde_json::Value;

use tokio_postgres::error::SqlState;

use super::conf;
use super::layout::Layout;
use super::process::Pg;
use super::process::PgError;
use super::process::Running;
use super::sql;

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
pub async fn initdb(pg: &Pg, layout: &Layout) -> Result<(), PgError> {
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
pub fn make_dirs(pg: &Pg, layout: &Layout) -> Result<(), PgError> {
    std::fs::create_dir_all(&layout.root)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&layout.root, std::fs::Permissions::from_mode(0o711))?;
    // Before anything is created in it: the data directory, a fork's copy and backups inherit it.
    if super::copy::detect(&layout.root) == super::copy::Method::Reflink {
        super::copy::small_cow_extents(&layout.root);
    }
    for d in [layout.archive(), layout.base(), layout.run()] {
        pg.private_dir(&d)?;
    }
    Ok(())
}

/// Replace `path` with `text`, owned by the server user and created with `mode` (a key must
/// never be readable by others, not even for a moment), crash-safely.
fn write_owned_mode(pg: &Pg, path: &Path, text: &str, mode: u32) -> Result<(), PgError> {
    use std::io::Write;
    crate::crashsafe::write_with(path, mode, |f| {
        f.write_all(text.as_bytes())?;
        pg.fchown(f)
    })?;
    Ok(())
}

fn write_owned(pg: &Pg, path: &Path, text: &str) -> Result<(), PgError> {
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
) -> Result<(), PgError> {
    // TLS as on Aiven: a certificate from the local CA, written where the server user reads it.
    let (cert, key) = ca.issue_server().map_err(|e| PgError::Tls(e.to_string()))?;
    write_owned_mode(pg, &layout.data().join("server.crt"), &cert, 0o600)?;
    write_owned_mode(pg, &layout.data().join("server.key"), &key, 0o600)?;
    let run = conf::quote("the socket directory", &layout.run().to_string_lossy())?;
    let mut s = format!(
        "# Written by avn local; changes are overwritten.\n\
         listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = {}\n\
         wal_level = replica\nmax_wal_senders = 10\nlogging_collector = off\n\
         log_min_error_statement = panic\n\
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
        // again from scratch (ops::fork removes the partial copy first), so nothing is synced
        // while it replays; ops::fork makes the whole directory durable once, after promotion
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
pub fn write_user_conf(pg: &Pg, layout: &Layout, user_config: &Map<String, Value>) -> Result<(), PgError> {
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
pub async fn wait_ready(layout: &Layout, port: u16, running: &Running, timeout: Duration) -> Result<(), PgError> {
    let deadline = Instant::now() + timeout;
    loop {
        if !running.is_alive() {
            return Err(PgError::Exited { during: "start-up", log: log_tail(layout) });
        }
        if sql::connect(layout, port, "postgres").await.is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(PgError::NotReady(timeout));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
pub async fn create_admin(layout: &Layout, port: u16, password: &str) -> Result<(), PgError> {
    let c = sql::connect(layout, port, "postgres").await?;
    let admin = sql::ident(ADMIN);
    c.batch_execute(&format!(
        "CREATE ROLE {admin} LOGIN CREATEDB CREATEROLE REPLICATION PASSWORD {pw};\n\
         GRANT pg_signal_backend, pg_read_all_stats TO {admin};",
        pw = sql::literal(password)
    ))
    .await?;
    c.batch_execute(&format!("CREATE DATABASE {} OWNER {admin}", sql::ident(DEFAULT_DB))).await?;
    // PostgreSQL 15+: let avnadmin stop and restore writes (used by `avn service rename`).
    for grant in [
        format!("GRANT ALTER SYSTEM ON PARAMETER default_transaction_read_only TO {admin}"),
        format!("GRANT EXECUTE ON FUNCTION pg_reload_conf() TO {admin}"),
    ] {
        if let Err(e) = c.batch_execute(&grant).await.map_err(PgError::from) {
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

/// Make sure every transaction committed so far is in the archive: write one transaction
/// (so a commit record follows any target in the past), switch segments, wait for the archiver.
pub async fn ensure_archived(layout: &Layout, port: u16, timeout: Duration) -> Result<(), PgError> {
    let c = sql::connect(layout, port, "postgres").await?;
    c.simple_query("SELECT txid_current()").await?;
    let row = c.query_one("SELECT pg_walfile_name(pg_switch_wal())", &[]).await?;
    let segment: String = row.get(0);
    let deadline = Instant::now() + timeout;
    loop {
        let row = c
            .query_one(
                "SELECT coalesce(last_archived_wal, ''), coalesce(last_failed_wal, '') FROM pg_stat_archiver",
                &[],
            )
            .await?;
        let archived: String = row.get(0);
        // Names of one timeline sort by position; history files end in .history.
        if archived.len() == 24 && archived[8..] >= segment[8..] && archived[..8] >= segment[..8] {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(PgError::NotArchived { segment, timeout, archived, failed: row.get(1) });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Wait until `segment` is in the archive (archive_command renames it there once synced; older
/// segments may have been compressed since).
async fn wait_in_archive(layout: &Layout, segment: &str, timeout: Duration) -> Result<(), PgError> {
    let deadline = Instant::now() + timeout;
    let (plain, packed) = (layout.archive().join(segment), layout.archive().join(format!("{segment}.zst")));
    while !plain.exists() && !packed.exists() {
        if Instant::now() > deadline {
            return Err(PgError::Io(std::io::Error::other(format!(
                "WAL segment {segment}, the last one a copy of the running service needs, did not reach its \
                 archive within {timeout:?}; archiving is failing (the service's postgres.log says why)"
            ))));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// Take a base backup into `base/<name>` (through `<name>.partial`); returns the bytes it restores
/// to. Packed backups share files identical to the previous backup's (`previous`).
pub async fn base_backup(
    pg: &Pg,
    layout: &Layout,
    port: u16,
    name: &str,
    previous: Option<&str>,
) -> Result<u64, PgError> {
    let partial = layout.base().join(format!("{name}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    // A backup is an online copy of the data directory (between pg_backup_start and
    // pg_backup_stop), which holds no WAL of its own: the archive keeps what it needs (from its
    // start, as for every backup), and the copy waits until that is archived. Where files can be
    // cloned (XFS, btrfs), it is a clone that shares every unchanged extent; elsewhere it is
    // packed (compressed, files unchanged since the previous backup shared), read straight from
    // the data directory at a background priority, so no plain copy is ever written.
    let how = match super::copy::detect(&layout.base()) {
        super::copy::Method::Reflink => OnlineCopy::Clone,
        super::copy::Method::Copy => {
            OnlineCopy::Pack { previous: previous.map(|p| layout.backup(p)).filter(|p| p.exists()) }
        }
    };
    let copied = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    // No time limit around the copy: it runs on blocking threads that a timeout would not stop
    // (they would go on writing into a directory being removed), and a large service takes long
    // to pack. The wait for the archive has its own limit.
    let r = online_copy(pg, layout, port, &partial, how, &copied, &|_| {}).await;
    // On disk before it is recorded: a crash never leaves a listed backup half written.
    if let Err(e) = match r {
        Ok(()) => sync_filesystem(&partial).await,
        e => e,
    } {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    // The rename on disk before the backup is recorded (rotation then deletes older ones).
    crate::crashsafe::persist(&partial, &layout.backup(name))?;
    Ok(backup_size(&layout.backup(name)))
}

/// The bytes a base backup restores to (its `data_size`).
pub fn backup_size(dir: &Path) -> u64 {
    if super::packed::is_packed(dir) {
        super::packed::raw_size(dir).unwrap_or(0)
    } else {
        super::layout::dir_size(dir)
    }
}

/// What an online copy of a running cluster leaves out: the server's own runtime files, WAL (the
/// copy replays it from the archive), replication slots and temporary statistics.
fn online_copy_keeps(rel: &Path) -> bool {
    const SKIP_FILES: [&str; 5] =
        ["postmaster.pid", "postmaster.opts", "backup_label", "recovery.signal", "standby.signal"];
    const EMPTY_DIRS: [&str; 4] = ["pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem"];
    if SKIP_FILES.iter().any(|f| rel == Path::new(f)) {
        return false;
    }
    !EMPTY_DIRS.iter().any(|d| rel.starts_with(d) && rel != Path::new(d))
}

/// How [`online_copy`] copies.
pub enum OnlineCopy {
    /// Files as they are (cloned where the filesystem can): a data directory ready to start.
    Clone,
    /// A packed backup, sharing unchanged files with `previous`.
    Pack { previous: Option<std::path::PathBuf> },
}

/// Copy a running cluster into `dest` (which must not exist) as a base backup would: between
/// `pg_backup_start` and `pg_backup_stop`, which leaves the `backup_label` recovery starts from
/// and waits until the WAL it needs is archived. The source keeps serving meanwhile.
pub async fn online_copy(
    pg: &Pg,
    layout: &Layout,
    port: u16,
    dest: &Path,
    how: OnlineCopy,
    copied: &std::sync::Arc<std::sync::atomic::AtomicU64>,
    step: &(dyn Fn(&str) + Send + Sync),
) -> Result<(), PgError> {
    let c = sql::connect(layout, port, "postgres").await?;
    c.simple_query("SELECT pg_backup_start('avn local', true)").await?;
    step("checkpointed");
    let (from, to, counter) = (layout.data(), dest.to_path_buf(), copied.clone());
    let copy = tokio::task::spawn_blocking(move || match how {
        OnlineCopy::Clone => {
            super::copy::copy_tree(&from, &to, online_copy_keeps, &counter, COPY_THREADS)?;
            std::fs::create_dir_all(to.join("pg_wal/archive_status")).map(|()| None)
        }
        OnlineCopy::Pack { previous } => {
            super::packed::pack_files(&from, &to, previous.as_deref(), PACK_THREADS, online_copy_keeps, true).map(Some)
        }
    })
    .await
    .map_err(|e| PgError::Io(std::io::Error::other(e)))?;
    step("copied");
    // Stopped in any case (a failed copy is removed by the caller); the session ending would
    // abort the backup too. PostgreSQL's own wait for the archive polls once a second; the archive
    // is ours, so wait for the last segment the copy needs to land there instead.
    let row = c.query_one("SELECT labelfile, spcmapfile, pg_walfile_name(lsn) FROM pg_backup_stop(false)", &[]).await?;
    let packed = copy?;
    let last: String = row.get(2);
    wait_in_archive(layout, &last, BACKUP_STOP_TIMEOUT).await?;
    step("archived");
    let label: String = row.get(0);
    let spcmap: String = row.get(1);
    if let Some(files) = packed {
        let dest = dest.to_path_buf();
        let stats = tokio::task::spawn_blocking(move || {
            let mut extra: Vec<(&str, &[u8])> = vec![("backup_label", label.as_bytes())];
            if !spcmap.is_empty() {
                extra.push(("tablespace_map", spcmap.as_bytes()));
            }
            super::packed::finish(&dest, files, label.as_bytes(), &extra)
        })
        .await
        .map_err(|e| PgError::Io(std::io::Error::other(e)))??;
        tracing::info!(raw = stats.raw, written = stats.written, shared = stats.shared, "base backup packed");
        return Ok(());
    }
    // What this adds belongs to the server user, private like the rest.
    pg.chown(&dest.join("pg_wal/archive_status"))?;
    write_owned_mode(pg, &dest.join("backup_label"), &label, 0o600)?;
    if !spcmap.is_empty() {
        write_owned_mode(pg, &dest.join("tablespace_map"), &spcmap, 0o600)?;
    }
    Ok(())
}

/// Flush everything written to the filesystem `path` is on (syncfs), off the async threads.
async fn sync_filesystem(path: &Path) -> Result<(), PgError> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let dir = std::fs::File::open(&path)?;
        nix::unistd::syncfs(&dir).map_err(std::io::Error::from)
    })
    .await
    .map_err(|e| PgError::Io(std::io::Error::other(e)))??;
    Ok(())
}

/// After a restore that ran with `fsync = off`: turn fsync on (the instance configuration must
/// already be rewritten without recovery), checkpoint, then sync the whole filesystem the data
/// directory is on, so every page written while fsync was off is durable, and every later write
/// is synced as usual.
pub async fn make_durable(layout: &Layout, port: u16) -> Result<(), PgError> {
    let c = sql::connect(layout, port, "postgres").await?;
    c.simple_query("SELECT pg_reload_conf()").await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = c.query_one("SELECT current_setting('fsync')", &[]).await?;
        if row.get::<_, String>(0) == "on" {
            break;
        }
        if Instant::now() > deadline {
            return Err(PgError::Io(std::io::Error::other("fsync stayed off after a configuration reload")));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    c.simple_query("CHECKPOINT").await?;
    sync_filesystem(&layout.data()).await
}

/// The longest an online copy waits for the archive to receive the last WAL segment it needs.
const BACKUP_STOP_TIMEOUT: Duration = Duration::from_secs(600);

/// Files copied at once: enough to keep a disk busy, few enough for a 2-core machine.
pub const COPY_THREADS: usize = 4;

/// Files packed at once: a backup is background work and leaves the service a core.
const PACK_THREADS: usize = 2;

/// `START WAL LOCATION: 0/2000028 (file 000000010000000000000002)` of a base backup.
pub fn backup_start(backup_dir: &Path) -> Option<(u64, String)> {
    let label = std::fs::read_to_string(backup_dir.join("backup_label")).ok()?;
    let line = label.lines().find(|l| l.starts_with("START WAL LOCATION:"))?;
    let lsn = parse_lsn(line.split_whitespace().nth(3)?)?;
    let file = line.split("(file ").nth(1)?.trim_end_matches(')').to_string();
    Some((lsn, file))
}

/// `16/B374D848` → a byte position.
pub fn parse_lsn(s: &str) -> Option<u64> {
    let (hi, lo) = s.split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

pub async fn current_lsn(layout: &Layout, port: u16) -> Result<u64, PgError> {
    let c = sql::connect(layout, port, "postgres").await?;
    let row = c.query_one("SELECT pg_current_wal_lsn()::text", &[]).await?;
    let text: String = row.get(0);
    parse_lsn(&text).ok_or(PgError::BadLsn(text))
}

/// During recovery: the replay position, or None once promoted.
pub async fn replay_lsn(layout: &Layout, port: u16) -> Result<Option<u64>, PgError> {
    let c = sql::connect(layout, port, "postgres").await?;
    let row = c.query_one("SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, '0/0')", &[]).await?;
    let in_recovery: bool = row.get(0);
    Ok(if in_recovery { parse_lsn(&row.get::<_, String>(1)) } else { None })
}

/// Remove archived WAL older than `oldest_needed` (a segment file name), plain or compressed.
pub async fn archive_cleanup(pg: &Pg, layout: &Layout, oldest_needed: &str) -> Result<(), PgError> {
    pg.run("pg_archivecleanup", &["-x", ".zst", &layout.archive().to_string_lossy(), oldest_needed]).await
}

/// Databases and login roles, as a service object lists them.
pub async fn inventory(layout: &Layout, port: u16) -> Result<(Vec<String>, Vec<String>), PgError> {
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

#[cfg(test)]
mod tests {
    #[test]
    fn lsn() {
        assert_eq!(super::parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374D848));
        assert_eq!(super::parse_lsn("nope"), None);
    }
}
