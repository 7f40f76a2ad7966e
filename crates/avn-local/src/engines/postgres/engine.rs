//! PostgreSQL's side of the engine seam (`engines::Engine`): the operations as sequences of this
//! module's tools (`cluster`, `basebackup`, `wal`, `archive`, `fork`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Map;
use serde_json::Value;

use super::archive;
use super::cluster;
use super::process::ClusterError;
use super::process::Pg;
use super::sql;
use super::wal;
use crate::engines::Layout;
use crate::manager::Manager;
use crate::store::ServiceRec;

/// How long a server may take to accept connections after it was spawned.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Stop and remove what an earlier try left, then `initdb` with the service's settings.
pub async fn prepare(pg: &Pg, layout: &Layout, rec: &ServiceRec) -> Result<(), ClusterError> {
    // A create redone after a crash: whatever the first try left running here goes first.
    crate::engines::running::kill_leftovers(&layout.root).await;
    crate::engines::layout::remove_tree(&layout.root).await;
    cluster::make_dirs(pg, layout)?;
    cluster::initdb(pg, layout).await?;
    cluster::write_user_conf(pg, layout, &rec.user_config)
}

/// Write the instance configuration for `port`, spawn the postmaster and wait until it accepts
/// connections.
pub async fn start(pg: &Pg, m: &Manager, rec: &ServiceRec, port: u16, archive: bool) -> Result<(), ClusterError> {
    let layout = m.layout(&rec.id);
    let _ = std::fs::remove_file(layout.data().join("postmaster.pid"));
    cluster::write_instance_conf(pg, &layout, &m.ca, port, archive, None)?;
    let running = pg.spawn(&layout)?;
    m.set_running(&rec.id, Some(running.clone()));
    cluster::wait_ready(&layout, port, &running, START_TIMEOUT).await
}

/// A cluster started by an older avn local runs without TLS while its URI now says
/// `sslmode=require`: configure TLS and reload (`ssl` is reloadable). Whether it changed anything.
pub async fn refresh_adopted(pg: &Pg, m: &Manager, rec: &ServiceRec) -> Result<bool, ClusterError> {
    let layout = m.layout(&rec.id);
    let conf = std::fs::read_to_string(layout.instance_conf()).unwrap_or_default();
    if conf.contains("ssl = on") {
        return Ok(false);
    }
    let archive = crate::catalog::keeps_backups(&rec.plan);
    cluster::write_instance_conf(pg, &layout, &m.ca, rec.port, archive, None)?;
    let c = sql::connect(&layout, rec.port, "postgres").await?;
    c.simple_query("SELECT pg_reload_conf()").await?;
    Ok(true)
}

/// WAL written since `backup`'s start.
pub async fn changes_since(layout: &Layout, port: u16, backup: &str) -> Option<u64> {
    let (start, _) = wal::backup_start(&layout.backup(backup))?;
    let now = wal::current_lsn(layout, port).await.ok()?;
    Some(now.bytes_since(start))
}

/// Remove WAL older than the oldest kept backup; compress WAL older than the newest (only
/// point-in-time forks to before it read that), on a thread of its own at a background priority.
pub async fn trim_archive(
    pg: &Pg,
    m: &Arc<Manager>,
    rec: &ServiceRec,
    oldest_kept: Option<&str>,
    newest: &str,
    go_on: impl Fn() -> bool + Send + 'static,
) {
    let layout = m.layout(&rec.id);
    if let Some((_, wal)) = oldest_kept.and_then(|b| wal::backup_start(&layout.backup(b))) {
        if let Err(e) = wal::archive_cleanup(pg, &layout, &wal).await {
            tracing::warn!("archive cleanup of {}: {e}", rec.name);
        }
    }
    let Some((_, first_needed)) = wal::backup_start(&layout.backup(newest)) else { return };
    let archive = layout.archive();
    let r = tokio::task::spawn_blocking(move || {
        std::thread::scope(|s| {
            s.spawn(|| {
                super::process::nice_this_thread();
                archive::compress_cold(&archive, &first_needed, go_on)
            })
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("compressing WAL panicked").into()))
        })
    })
    .await;
    match r {
        Ok(Ok(saved)) if saved > 0 => tracing::info!(service = %rec.name, saved, "older WAL compressed"),
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!("compressing older WAL of {}: {e}", rec.name),
        Err(e) => tracing::warn!("compressing older WAL of {}: {e}", rec.name),
    }
}

/// `postgres://avnadmin:…@127.0.0.1:PORT/defaultdb?sslmode=require` and its parameters.
pub fn uri(rec: &ServiceRec) -> (String, Map<String, Value>) {
    crate::engines::admin_uri("postgres", cluster::ADMIN, cluster::DEFAULT_DB, ("sslmode", "require"), rec)
}

/// Write `avn-user.conf` from the service's `pg.*` options; `reload`: and reload the server.
pub async fn apply_config(pg: &Pg, layout: &Layout, rec: &ServiceRec, reload: bool) -> Result<(), ClusterError> {
    cluster::write_user_conf(pg, layout, &rec.user_config)?;
    if reload {
        let c = sql::connect(layout, rec.port, "postgres").await?;
        c.simple_query("SELECT pg_reload_conf()").await?;
    }
    Ok(())
}
