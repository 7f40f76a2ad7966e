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
    /// Its server runs (only then is it listed as a `replica` component).
    pub alive: bool,
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

/// The built standbys of the instance at `primary`, with their ports.
pub fn built(primary: &Layout) -> Vec<(Layout, u16)> {
    existing(primary)
        .into_iter()
        .filter(|(_, l)| built_marker(l).exists())
        .filter_map(|(_, l)| {
            let port = std::fs::read_to_string(port_file(&l)).ok()?.trim().parse().ok()?;
            Some((l, port))
        })
        .collect()
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
        stop_node(m, id, n, &l).await;
    }
    set_status(id, vec![]);
}

/// Stop standby `n` of a service, registered or only running (adopted), and forget it.
async fn stop_node(m: &Manager, id: &str, n: usize, l: &Layout) {
    if let Some(mut r) = m.standby(id, n).or_else(|| server::adopt(l)) {
        r.stop().await;
    }
    m.set_standby(id, n, None);
}

/// Make a running service's standbys what its plan says: built, running and replicating; those
/// beyond the plan's node count stopped and removed. The caller holds the operation lock.
pub async fn tend(maria: &Maria, m: &Arc<Manager>, rec: &ServiceRec) {
    let want = crate::catalog::node_count(&rec.service_type, &rec.plan).saturating_sub(1) as usize;
    let primary = m.layout(&rec.id);
    for (n, l) in existing(&primary).into_iter().filter(|(n, _)| *n > want) {
        stop_node(m, &rec.id, n, &l).await;
        remove_tree(&l.root).await;
        tracing::info!(service = %rec.name, node = n, "standby node removed: the plan has fewer nodes");
    }
    let mut nodes = vec![];
    for n in 1..=want {
        let l = layout(&primary, n);
        let port = || std::fs::read_to_string(port_file(&l)).ok().and_then(|p| p.trim().parse().ok());
        let mut live = m.standby(&rec.id, n).or_else(|| server::adopt(&l));
        if let Some(mut r) = live.take_if(|_| !built_marker(&l).exists()) {
            // A build that did not finish (the control plane died, or it failed after the start):
            // its server is not a replica yet. Built again.
            tracing::warn!(service = %rec.name, node = n, "a standby node left half-built: building it again");
            r.stop().await;
            m.set_standby(&rec.id, n, None);
        }
        let result = match live {
            Some(r) => Ok(r),
            None if !attempt_due(&rec.id, n) => {
                nodes.push(NodeStatus { state: "syncing_data", port: port(), alive: false });
                continue;
            }
            None if built_marker(&l).exists() => restart(maria, m, rec, &l).await,
            None => build(maria, m, rec, n, &l).await,
        };
        let r = match result {
            Ok(r) => r,
            Err(e) => {
                attempted(&rec.id, n, false);
                tracing::warn!(service = %rec.name, node = n, "standby node: {e}; trying again later");
                nodes.push(NodeStatus { state: "syncing_data", port: port(), alive: false });
                continue;
            }
        };
        m.set_standby(&rec.id, n, Some(r.clone()));
        let state = match health(&l, rec).await {
            Ok(Health::Running) => {
                attempted(&rec.id, n, true);
                "running"
            }
            Ok(Health::Syncing) => "syncing_data",
            Ok(Health::Repoint(why)) => {
                tracing::warn!(service = %rec.name, node = n, "standby replication: {why}; pointing it at the primary again");
                if let Err(e) = point_at_primary(&primary, &l, rec, None).await {
                    tracing::warn!(service = %rec.name, node = n, "standby replication: {e}");
                }
                "syncing_data"
            }
            Ok(Health::Rebuild(why)) => {
                tracing::warn!(service = %rec.name, node = n, "standby replication broke ({why}): building the node again");
                let mut r = r;
                r.stop().await;
                m.set_standby(&rec.id, n, None);
                let _ = std::fs::remove_file(built_marker(&l));
                attempted(&rec.id, n, false);
                nodes.push(NodeStatus { state: "syncing_data", port: port(), alive: false });
                continue;
            }
            Err(e) => {
                tracing::debug!(service = %rec.name, node = n, "standby status: {e}");
                "syncing_data"
            }
        };
        nodes.push(NodeStatus { state, port: port(), alive: r.is_alive() });
    }
    set_status(&rec.id, nodes);
}

/// What a standby's primary may not purge from its binary logs yet.
#[derive(Debug, Clone, PartialEq)]
pub enum Needs {
    /// No standby.
    Nothing,
    /// Every file from this one on.
    From(String),
    /// A standby whose position is not known yet (being built): nothing may be purged.
    Unknown,
}

/// The file the standby's replication last applied from, as last seen (`reads`).
fn reads_file(l: &Layout) -> PathBuf {
    l.root.join("reads")
}

/// The oldest binary log of the primary at `primary` that one of its standbys still needs: they
/// may be disconnected (restarting, being built, or waiting for a restarted primary) and then
/// read from where they stopped.
pub fn oldest_needed(primary: &Layout) -> Needs {
    let mut oldest: Option<String> = None;
    for (_, l) in existing(primary) {
        match std::fs::read_to_string(reads_file(&l)).map(|f| f.trim().to_string()) {
            Ok(f) if super::binlog::is_binlog(&f) => {
                if oldest.as_ref().is_none_or(|o| f < *o) {
                    oldest = Some(f);
                }
            }
            _ => return Needs::Unknown,
        }
    }
    oldest.map_or(Needs::Nothing, Needs::From)
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

pub fn instance<'a>(rec: &'a ServiceRec, port: u16) -> server::Instance<'a> {
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
    let mut running = engine::launch(maria, m, l, &instance(rec, port))?;
    if let Err(e) = server::wait_ready(l, &running, engine::START_TIMEOUT).await {
        running.stop().await;
        // Someone else took its port meanwhile: it moves to a free one.
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            let new = m.free_port().map_err(|e| MysqlError::Tool(e.to_string()))?;
            avn_util::crashsafe::write(&port_file(l), new.to_string().as_bytes(), 0o644)?;
            tracing::warn!(service = %rec.name, port, new, "a standby node's port is taken: it moves");
        }
        return Err(e);
    }
    tracing::info!(service = %rec.name, port, "standby node started");
    Ok(running)
}

/// A new standby: a copy of the running primary, started read-only and replicating from the
/// position the copy is consistent at. On any failure nothing of it is left but its port.
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
    let mut launched: Option<Running> = None;
    let built = build_into(maria, m, rec, &primary, l, port, &mut launched).await;
    match built {
        Ok(()) => Ok(launched.expect("started")),
        Err(e) => {
            if let Some(mut r) = launched {
                r.stop().await;
            }
            // The copy goes (a full disk is not kept full); the port stays reserved.
            for p in [l.root.join("data.partial"), l.data()] {
                remove_tree(&p).await;
            }
            Err(e)
        }
    }
}

async fn build_into(
    maria: &Maria,
    m: &Arc<Manager>,
    rec: &ServiceRec,
    primary: &Layout,
    l: &Layout,
    port: u16,
    launched: &mut Option<Running>,
) -> Result<(), MysqlError> {
    let needs = crate::engines::layout::dir_size(&primary.data()) + (64 << 20);
    let free = nix::sys::statvfs::statvfs(&l.root)
        .map(|fs| fs.blocks_available() * fs.fragment_size())
        .map_err(std::io::Error::from)?;
    if free < needs {
        return Err(MysqlError::Tool(format!(
            "not enough disk for a standby copy: {} MiB free, {} MiB needed",
            free >> 20,
            needs >> 20
        )));
    }
    let admin_pw = std::fs::read(server::admin_password_file(primary))?;
    avn_util::crashsafe::write(&server::admin_password_file(l), &admin_pw, 0o600)?;
    // The account exists before the copy, so the standby has it too (a DROP USER of it that
    // replicates applies there as well).
    replication_account(primary).await?;
    let partial = l.root.join("data.partial");
    let label = backup::backup_prepared(maria, primary, &partial).await?;
    // From here the primary keeps its binary logs from the copy's position on.
    avn_util::crashsafe::write(&reads_file(l), label.binlog_file.as_bytes(), 0o644)?;
    remove_tree(&l.data()).await;
    std::fs::rename(&partial, l.data())?;
    maria.chown_tree(&l.data())?;
    if m.is_stopping() {
        return Err(MysqlError::Tool("the control plane is stopping".into()));
    }
    let running = launched.insert(engine::launch(maria, m, l, &instance(rec, port))?);
    server::wait_ready(l, running, engine::START_TIMEOUT).await?;
    point_at_primary(primary, l, rec, Some(&label.gtid)).await?;
    // Connected before it counts as built.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mut c = sql::admin(l).await?;
        let st = sql::slave_status(&mut c).await?.unwrap_or_default();
        c.disconnect().await?;
        if st.get("Slave_IO_Running").is_some_and(|v| v == "Yes") {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(MysqlError::Tool(format!(
                "the standby could not connect to the primary: {}",
                st.get("Last_IO_Error").cloned().unwrap_or_default()
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    avn_util::crashsafe::write(&built_marker(l), b"", 0o644)?;
    tracing::info!(service = %rec.name, port, gtid = %label.gtid, "standby node replicating");
    Ok(())
}

/// Point a standby's replication at the primary as it is now (its port, the replication
/// account), from `gtid` when it is new, else from where it stopped.
async fn point_at_primary(
    primary: &Layout,
    l: &Layout,
    rec: &ServiceRec,
    gtid: Option<&str>,
) -> Result<(), MysqlError> {
    let repl_pw = replication_account(primary).await?;
    let mut c = sql::admin(l).await?;
    c.query_drop("STOP SLAVE").await?;
    if let Some(gtid) = gtid {
        c.query_drop(format!("SET GLOBAL gtid_slave_pos = {}", sql::literal(gtid))).await?;
    }
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
    Ok(())
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

/// A standby's replication, as `SHOW SLAVE STATUS` tells it.
#[derive(Debug, Clone, PartialEq)]
enum Health {
    /// Both threads run, no lag.
    Running,
    /// Connecting or catching up.
    Syncing,
    /// Pointed at the wrong port, or its login was refused: pointed at the primary again.
    Repoint(String),
    /// The primary no longer has what it needs, or applying failed: built again.
    Rebuild(String),
}

fn judge(st: Option<&HashMap<String, String>>, primary_port: u16) -> Health {
    let Some(st) = st else { return Health::Rebuild("no replication configured".into()) };
    let text = |col: &str| st.get(col).map(String::as_str).unwrap_or_default();
    let io_errno: u32 = text("Last_IO_Errno").parse().unwrap_or(0);
    let sql_errno: u32 = text("Last_SQL_Errno").parse().unwrap_or(0);
    if sql_errno != 0 {
        return Health::Rebuild(format!("error {sql_errno} applying: {}", text("Last_SQL_Error")));
    }
    if io_errno == 1236 {
        return Health::Rebuild(format!("error 1236 reading the primary's binary log: {}", text("Last_IO_Error")));
    }
    if text("Master_Port") != primary_port.to_string() {
        return Health::Repoint(format!(
            "it replicates from port {}, the primary is on {primary_port}",
            text("Master_Port")
        ));
    }
    if io_errno == 1045 {
        return Health::Repoint(format!("login refused: {}", text("Last_IO_Error")));
    }
    if text("Slave_SQL_Running") != "Yes" {
        return Health::Repoint("its applier is stopped".into());
    }
    if text("Slave_IO_Running") == "Yes" && text("Seconds_Behind_Master") == "0" {
        Health::Running
    } else {
        Health::Syncing
    }
}

/// A standby's replication (see [`judge`]); its application accounts are also kept within
/// `avnadmin`'s privileges, as the primary's keeper does there, and the file it reads from
/// recorded for the primary's purge.
async fn health(l: &Layout, rec: &ServiceRec) -> Result<Health, MysqlError> {
    let mut c = sql::admin(l).await?;
    let st = sql::slave_status(&mut c).await?;
    if let Some(f) = st.as_ref().and_then(|st| st.get("Relay_Master_Log_File")).filter(|f| super::binlog::is_binlog(f))
    {
        avn_util::crashsafe::write(&reads_file(l), f.as_bytes(), 0o644)?;
    }
    let _ = sql::enforce_privileges(&mut c).await;
    c.disconnect().await?;
    Ok(judge(st.as_ref(), rec.port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_primary_keeps_the_binary_logs_its_standbys_need() {
        let dir = tempfile::tempdir().unwrap();
        let primary = Layout::at(dir.path());
        assert_eq!(oldest_needed(&primary), Needs::Nothing);
        std::fs::create_dir_all(layout(&primary, 1).root).unwrap();
        // Being built: its position is not known yet.
        assert_eq!(oldest_needed(&primary), Needs::Unknown);
        std::fs::write(reads_file(&layout(&primary, 1)), "binlog.000007\n").unwrap();
        assert_eq!(oldest_needed(&primary), Needs::From("binlog.000007".into()));
        std::fs::create_dir_all(layout(&primary, 2).root).unwrap();
        std::fs::write(reads_file(&layout(&primary, 2)), "binlog.000004").unwrap();
        assert_eq!(oldest_needed(&primary), Needs::From("binlog.000004".into()));
        std::fs::write(reads_file(&layout(&primary, 2)), "garbage").unwrap();
        assert_eq!(oldest_needed(&primary), Needs::Unknown);
    }

    #[test]
    fn a_standby_is_judged_by_its_replication() {
        let ok = [
            ("Slave_IO_Running", "Yes"),
            ("Slave_SQL_Running", "Yes"),
            ("Seconds_Behind_Master", "0"),
            ("Master_Port", "5000"),
            ("Last_IO_Errno", "0"),
            ("Last_SQL_Errno", "0"),
        ];
        assert_eq!(judge(Some(&status(&ok)), 5000), Health::Running);
        let mut lag = status(&ok);
        lag.insert("Seconds_Behind_Master".into(), "3".into());
        assert_eq!(judge(Some(&lag), 5000), Health::Syncing);
        assert!(matches!(judge(Some(&status(&ok)), 5001), Health::Repoint(_)));
        let mut gone = status(&ok);
        gone.insert("Last_IO_Errno".into(), "1236".into());
        assert!(matches!(judge(Some(&gone), 5000), Health::Rebuild(_)));
        let mut failed = status(&ok);
        failed.insert("Last_SQL_Errno".into(), "1062".into());
        assert!(matches!(judge(Some(&failed), 5000), Health::Rebuild(_)));
        assert!(matches!(judge(None, 5000), Health::Rebuild(_)));
    }
}
