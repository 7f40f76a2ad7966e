//! Standby nodes: on plans with more than one node (`catalog::node_count`: business 2, premium
//! 3, as on Aiven), each node after the first is a MariaDB replica of the primary, run here like
//! the primary (own directory `<instance>/standby-N`, port, socket, TLS) and tended by the
//! watchdog ([`tend`]):
//!
//! - built from a `mariadb-backup` of the running primary (under the service's operation lock),
//!   then replicating from it over TLS verified against the project CA, by GTID, as the
//!   control plane's replication account (`avn_repl`, created with the binary log off);
//! - read-only (application users hold no `READ_ONLY ADMIN`), without a binary log of its own,
//!   its replication restarting with it and surviving a crash (`relay-log-recovery`);
//! - restarted when it dies, adopted after a restart of the control plane, stopped before the
//!   primary (power-off, delete, the control plane's stop), removed when the plan shrinks.
//!
//! Forks, backups and renames read the primary only. `node_states` shows each standby as
//! `running` once it replicates with no lag, `syncing_data` before.

use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;

use mysql_async::prelude::Queryable;

use super::backup;
use super::engine;
use super::server;
use super::sql;
use super::Maria;
use super::MysqlError;
use crate::engines::layout::remove_tree;
use crate::engines::Layout;
use crate::engines::Running;
use crate::manager::Manager;
use crate::store::ServiceRec;

/// The account standbys replicate as (`'avn_repl'@'127.0.0.1'`, TLS required).
pub const REPLICATION_USER: &str = "avn_repl";

/// What `node_states` shows of a standby.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeStatus {
    /// `running` (replicating, no lag), `syncing_data` (being built, or catching up), or
    /// `leaving` (stopped and about to be removed).
    pub state: &'static str,
    pub port: Option<u16>,
}

static STATUS: Mutex<Option<HashMap<String, Vec<NodeStatus>>>> = Mutex::new(None);

/// The standbys of a service as last tended (none known yet: empty).
pub fn status(id: &str) -> Vec<NodeStatus> {
    STATUS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
        .and_then(|m| m.get(id).cloned())
        .unwrap_or_default()
}

fn set_status(id: &str, nodes: Vec<NodeStatus>) {
    let mut s = STATUS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let map = s.get_or_insert_with(HashMap::new);
    if nodes.is_empty() {
        map.remove(id);
    } else {
        map.insert(id.to_string(), nodes);
    }
}

/// Standby `node` (1, 2, …) of the instance at `primary`.
pub fn layout(primary: &Layout, node: usize) -> Layout {
    Layout::at(&primary.root.join(format!("standby-{node}")))
}

fn port_file(l: &Layout) -> PathBuf {
    l.root.join("port")
}

/// Written once a standby is built and replicating: from then on it is only restarted.
fn built_marker(l: &Layout) -> PathBuf {
    l.root.join("built")
}

fn repl_password_file(primary: &Layout) -> PathBuf {
    primary.root.join("repl.pw")
}

/// The standby directories under an instance, by node number.
fn existing(primary: &Layout) -> Vec<(usize, Layout)> {
    let mut out: Vec<(usize, Layout)> = std::fs::read_dir(&primary.root)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_string_lossy().strip_prefix("standby-")?.parse::<usize>().ok())
                .map(|n| (n, layout(primary, n)))
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|(n, _)| *n);
    out
}

/// Whether an instance has standby directories.
pub fn any(primary_root: &Path) -> bool {
    !existing(&Layout::at(primary_root)).is_empty()
}

/// Ports held by standbys (they are not in the store): no other service is given one.
pub fn reserved_ports(instances: &Path) -> Vec<u16> {
    let Ok(rd) = std::fs::read_dir(instances) else { return vec![] };
    rd.flatten()
        .flat_map(|inst| existing(&Layout::at(&inst.path())))
        .filter_map(|(_, l)| std::fs::read_to_string(port_file(&l)).ok()?.trim().parse().ok())
        .collect()
}

/// Every standby server still running under an instance directory (after a crash of the control
/// plane, or for an orphaned directory).
pub fn adopt_all_at(primary_root: &Path) -> Vec<Running> {
    existing(&Layout::at(primary_root)).iter().filter_map(|(_, l)| server::adopt(l)).collect()
}

/// Stop every standby of a service (before its primary stops, or when it is deleted).
pub async fn stop_all(m: &Manager, id: &str) {
    let primary = m.layout(id);
    for (n, l) in existing(&primary) {
        if let Some(mut r) = m.standby(id, n).or_else(|| server::adopt(&l)) {
            r.stop().await;
        }
        m.set_standby(id, n, None);
    }
    set_status(id, vec![]);
}

/// Make a running service's standbys what its plan says: built, running and replicating; those
/// beyond the plan's node count stopped and removed. The caller holds the operation lock.
pub async fn tend(maria: &Maria, m: &Arc<Manager>, rec: &ServiceRec) {
    let want = crate::catalog::node_count(&rec.service_type, &rec.plan).saturating_sub(1) as usize;
    let primary = m.layout(&rec.id);
    for (n, l) in existing(&primary).into_iter().filter(|(n, _)| *n > want) {
        if let Some(mut r) = m.standby(&rec.id, n).or_else(|| server::adopt(&l)) {
            r.stop().await;
        }
        m.set_standby(&rec.id, n, None);
        remove_tree(&l.root).await;
        tracing::info!(service = %rec.name, node = n, "standby node removed: the plan has fewer nodes");
    }
    let mut nodes = vec![];
    for n in 1..=want {
        let l = layout(&primary, n);
        let port = std::fs::read_to_string(port_file(&l)).ok().and_then(|p| p.trim().parse().ok());
        let result = match m.standby(&rec.id, n).or_else(|| server::adopt(&l)) {
            Some(r) => Ok(r),
            None if !attempt_due(&rec.id, n) => {
                nodes.push(NodeStatus { state: "syncing_data", port });
                continue;
            }
            None if built_marker(&l).exists() => restart(maria, m, rec, &l).await,
            None => build(maria, m, rec, n, &l).await,
        };
        attempted(&rec.id, n, result.is_ok());
        let port = std::fs::read_to_string(port_file(&l)).ok().and_then(|p| p.trim().parse().ok()).or(port);
        match result {
            Ok(r) => {
                m.set_standby(&rec.id, n, Some(r));
                let state = match replica_health(&l).await {
                    Ok(true) => "running",
                    Ok(false) => "syncing_data",
                    Err(e) => {
                        tracing::debug!(service = %rec.name, node = n, "standby status: {e}");
                        "syncing_data"
                    }
                };
                nodes.push(NodeStatus { state, port });
            }
            Err(e) => {
                tracing::warn!(service = %rec.name, node = n, "standby node: {e}; trying again");
                nodes.push(NodeStatus { state: "syncing_data", port });
            }
        }
    }
    set_status(&rec.id, nodes);
}

/// After a failed build or start, the next attempt waits (a full disk would otherwise have a
/// copy of the primary retried every two seconds): 5 s, doubling up to 5 minutes.
type Attempts = HashMap<(String, usize), (u32, std::time::Instant)>;
static BACKOFF: Mutex<Option<Attempts>> = Mutex::new(None);

fn attempt_due(id: &str, n: usize) -> bool {
    let b = BACKOFF.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    b.as_ref().and_then(|m| m.get(&(id.to_string(), n))).is_none_or(|(_, next)| std::time::Instant::now() >= *next)
}

fn attempted(id: &str, n: usize, ok: bool) {
    let mut b = BACKOFF.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let map = b.get_or_insert_with(HashMap::new);
    let key = (id.to_string(), n);
    if ok {
        map.remove(&key);
        return;
    }
    let now = std::time::Instant::now();
    let entry = map.entry(key).or_insert((0, now));
    if entry.1 <= now {
        let wait = std::time::Duration::from_secs(5u64 << entry.0.min(6)).min(std::time::Duration::from_secs(300));
        *entry = (entry.0 + 1, now + wait);
    }
}

fn instance<'a>(rec: &'a ServiceRec, port: u16) -> server::Instance<'a> {
    server::Instance {
        port,
        relaxed: false,
        log_bin: false,
        replay: false,
        standby: true,
        user_config: &rec.user_config,
    }
}

/// Start a built standby again (it died, or the service was powered on); its replication
/// resumes where it stopped.
async fn restart(maria: &Maria, m: &Arc<Manager>, rec: &ServiceRec, l: &Layout) -> Result<Running, MysqlError> {
    let port: u16 = std::fs::read_to_string(port_file(l))?
        .trim()
        .parse()
        .map_err(|_| MysqlError::Tool(format!("{}: not a port", port_file(l).display())))?;
    crate::engines::running::kill_leftovers(&l.root).await;
    let running = engine::launch(maria, m, l, &instance(rec, port))?;
    server::wait_ready(l, &running, engine::START_TIMEOUT).await?;
    tracing::info!(service = %rec.name, port, "standby node started");
    Ok(running)
}

/// A new standby: a copy of the running primary, started read-only and replicating from the
/// position the copy is consistent at.
async fn build(maria: &Maria, m: &Arc<Manager>, rec: &ServiceRec, n: usize, l: &Layout) -> Result<Running, MysqlError> {
    let primary = m.layout(&rec.id);
    tracing::info!(service = %rec.name, node = n, "building a standby node");
    crate::engines::running::kill_leftovers(&l.root).await;
    // Its port is kept across the rebuild: clients may know it.
    let port = match std::fs::read_to_string(port_file(l)).ok().and_then(|p| p.trim().parse::<u16>().ok()) {
        Some(p) => p,
        None => m.free_port().map_err(|e| MysqlError::Tool(e.to_string()))?,
    };
    remove_tree(&l.root).await;
    maria.make_dirs(l)?;
    avn_util::crashsafe::write(&port_file(l), port.to_string().as_bytes(), 0o644)?;
    let admin_pw = std::fs::read(server::admin_password_file(&primary))?;
    avn_util::crashsafe::write(&server::admin_password_file(l), &admin_pw, 0o600)?;
    let repl_pw = replication_account(&primary).await?;
    let partial = l.root.join("data.partial");
    let label = backup::backup_prepared(maria, &primary, &partial).await?;
    remove_tree(&l.data()).await;
    std::fs::rename(&partial, l.data())?;
    maria.chown_tree(&l.data())?;
    let running = engine::launch(maria, m, l, &instance(rec, port))?;
    server::wait_ready(l, &running, engine::START_TIMEOUT).await?;
    let mut c = sql::admin(l).await?;
    c.query_drop(format!("SET GLOBAL gtid_slave_pos = {}", sql::literal(&label.gtid))).await?;
    c.query_drop(format!(
        "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {}, MASTER_USER = {}, MASTER_PASSWORD = {}, \
         MASTER_SSL = 1, MASTER_SSL_CA = {}, MASTER_SSL_VERIFY_SERVER_CERT = 1, MASTER_USE_GTID = slave_pos, \
         MASTER_CONNECT_RETRY = 1",
        rec.port,
        sql::literal(REPLICATION_USER),
        sql::literal(&repl_pw),
        sql::literal(&l.run().join("ca.pem").display().to_string()),
    ))
    .await?;
    c.query_drop("START SLAVE").await?;
    c.disconnect().await?;
    avn_util::crashsafe::write(&built_marker(l), b"", 0o644)?;
    tracing::info!(service = %rec.name, node = n, port, gtid = %label.gtid, "standby node replicating");
    Ok(running)
}

/// The replication account on the primary (made or reset with the binary log off: it is the
/// control plane's, not data), and its password.
async fn replication_account(primary: &Layout) -> Result<String, MysqlError> {
    let file = repl_password_file(primary);
    let pw = match std::fs::read_to_string(&file) {
        Ok(p) if !p.trim().is_empty() => p.trim().to_string(),
        _ => {
            let p = crate::random::random_string(32);
            avn_util::crashsafe::write(&file, p.as_bytes(), 0o600)?;
            p
        }
    };
    let account = format!("{}@'127.0.0.1'", sql::literal(REPLICATION_USER));
    sql::exec(
        primary,
        &[
            "SET SESSION sql_log_bin = 0".into(),
            format!("CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {}", sql::literal(&pw)),
            format!("ALTER USER {account} IDENTIFIED BY {} REQUIRE SSL", sql::literal(&pw)),
            format!("GRANT REPLICATION SLAVE ON *.* TO {account}"),
        ],
    )
    .await?;
    Ok(pw)
}

/// Whether a standby replicates (both threads running) with no lag; its application accounts
/// are also kept within `avnadmin`'s privileges, as the primary's keeper does there.
async fn replica_health(l: &Layout) -> Result<bool, MysqlError> {
    let mut c = sql::admin(l).await?;
    let healthy = sql::slave_status(&mut c).await?.is_some_and(|st| {
        let text = |col: &str| st.get(col).map(String::as_str).unwrap_or_default();
        text("Slave_IO_Running") == "Yes" && text("Slave_SQL_Running") == "Yes" && text("Seconds_Behind_Master") == "0"
    });
    let _ = sql::enforce_privileges(&mut c).await;
    c.disconnect().await?;
    Ok(healthy)
}
