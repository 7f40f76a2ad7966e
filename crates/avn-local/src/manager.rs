//! The control plane's shared state: the engine, the state store, the running servers, the
//! progress and failures of operations, the locks that order them, and which sources forks hold.
//! Requests are validated and operations run by `ops`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use avn_api::ProgressUpdate;

use crate::engines::Engine;
use crate::engines::Layout;
use crate::engines::Running;
use crate::error::OpError;
use crate::model::State;
use crate::store::ServiceRec;
use crate::store::Store;

/// A lock that a panic cannot poison for good: the maps behind these locks hold plain values
/// (no invariant spans two of them, and the store's writes are SQLite transactions), so after a
/// panic in one request the next one takes the lock as it is. One bug in one operation never
/// takes the API down.
trait Locked<T> {
    fn locked(&self) -> std::sync::MutexGuard<'_, T>;
}

impl<T> Locked<T> for Mutex<T> {
    fn locked(&self) -> std::sync::MutexGuard<'_, T> {
        self.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Databases and login roles of a service.
type Inventory = (Vec<String>, Vec<String>);

pub struct Manager {
    /// The engines whose servers are installed here, one per service type.
    engines: Vec<Engine>,
    /// Service types whose server is not installed here, with how to install it.
    missing: Vec<(&'static str, String)>,
    /// Signs each cluster's server certificate.
    pub ca: crate::tls::Authority,
    pub instances: PathBuf,
    pub backup_interval: Duration,
    store: Mutex<Store>,
    running: Mutex<HashMap<String, Running>>,
    progress: Mutex<HashMap<String, Vec<ProgressUpdate>>>,
    op_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Sources whose base backups and archive forks need (source id → fork ids), from the
    /// moment each fork is accepted until it has finished: no rotation, no removal meanwhile.
    in_use: Mutex<HashMap<String, std::collections::HashSet<String>>>,
    /// Deleted services whose directories are kept until the forks that need them finish.
    doomed: Mutex<std::collections::HashSet<String>>,
    inventory: Mutex<HashMap<String, Inventory>>,
    /// The PgBouncer of each service that has pools and runs.
    poolers: Mutex<HashMap<String, Running>>,
    /// The standby servers of services whose plan has more than one node, by (service, node).
    standbys: Mutex<HashMap<(String, usize), Running>>,
    failures: Mutex<HashMap<String, String>>,
    /// Set when the control plane stops: nothing is started or restarted any more.
    stopping: std::sync::atomic::AtomicBool,
}

/// Current time as the API prints it (`avn_api::time::format_zulu`).
pub fn now() -> String {
    avn_api::time::format_zulu(jiff::Timestamp::now())
}

impl Manager {
    pub fn new(
        engines: Vec<Engine>,
        missing: Vec<(&'static str, String)>,
        ca: crate::tls::Authority,
        instances: PathBuf,
        store: Store,
        backup_interval: Duration,
    ) -> Manager {
        Manager {
            engines,
            missing,
            ca,
            instances,
            backup_interval,
            store: Mutex::new(store),
            running: Mutex::new(HashMap::new()),
            progress: Mutex::new(HashMap::new()),
            op_locks: Mutex::new(HashMap::new()),
            in_use: Mutex::new(HashMap::new()),
            doomed: Mutex::new(Default::default()),
            inventory: Mutex::new(HashMap::new()),
            poolers: Mutex::new(HashMap::new()),
            standbys: Mutex::new(HashMap::new()),
            stopping: std::sync::atomic::AtomicBool::new(false),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The engines installed here, in the order the service types are listed.
    pub fn engines(&self) -> &[Engine] {
        &self.engines
    }

    /// The engine of a service type; a type this control plane knows but cannot run here (its
    /// server is not installed) is refused with how to install it.
    pub fn engine(&self, service_type: &str) -> Result<&Engine, OpError> {
        // Caching's older name, as the official client still accepts it.
        let service_type = if service_type == "redis" { "valkey" } else { service_type };
        if let Some(e) = self.engines.iter().find(|e| e.service_type() == service_type) {
            return Ok(e);
        }
        if let Some((_, hint)) = self.missing.iter().find(|(t, _)| *t == service_type) {
            return Err(crate::error::Refusal::invalid(format!(
                "Service type '{service_type}' cannot run on this machine: {hint}"
            )));
        }
        let known: Vec<&str> = self.engines.iter().map(|e| e.service_type()).collect();
        Err(crate::error::Refusal::invalid(format!(
            "Service type '{service_type}' is not available on the local control plane (available: {})",
            known.join(", ")
        )))
    }

    /// The engine that runs a service.
    pub fn engine_of(&self, rec: &ServiceRec) -> Result<&Engine, OpError> {
        self.engine(&rec.service_type)
    }

    /// Run `f` with the state store locked.
    pub fn store<T>(&self, f: impl FnOnce(&mut Store) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
        let mut s = self.store.locked();
        let out = f(&mut s)?;
        if let Err(e) = s.save_copy() {
            tracing::warn!("cannot write the copy of the state store: {e}");
        }
        Ok(out)
    }

    pub fn layout(&self, id: &str) -> Layout {
        Layout::new(&self.instances, id)
    }

    pub fn backup_interval_hours(&self) -> u32 {
        self.backup_interval.as_secs().div_ceil(3600).max(1) as u32
    }

    pub fn op_lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.op_locks.locked().entry(id.to_string()).or_default().clone()
    }

    pub fn running(&self, id: &str) -> Option<Running> {
        self.running.locked().get(id).filter(|r| r.is_alive()).cloned()
    }

    pub fn set_running(&self, id: &str, r: Option<Running>) {
        let mut m = self.running.locked();
        match r {
            Some(r) => m.insert(id.to_string(), r),
            None => m.remove(id),
        };
    }

    pub fn all_running(&self) -> Vec<(String, Running)> {
        self.running.locked().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn progress(&self, id: &str) -> Vec<ProgressUpdate> {
        self.progress.locked().get(id).cloned().unwrap_or_default()
    }

    /// Report progress of phase `phase` (earlier phases are marked completed).
    pub fn report(&self, id: &str, phase: &str, unit: Option<&str>, min: i64, current: i64, max: i64) {
        let mut m = self.progress.locked();
        let list = m.entry(id.to_string()).or_default();
        for p in list.iter_mut() {
            if p.phase != phase {
                p.completed = true;
                if let Some(mx) = p.max {
                    p.current = Some(mx);
                }
            }
        }
        let entry = ProgressUpdate {
            phase: phase.into(),
            min: Some(min),
            max: Some(max.max(min)),
            current: Some(current.clamp(min, max.max(min))),
            unit: unit.map(str::to_string),
            completed: false,
            extra: Default::default(),
        };
        match list.iter_mut().find(|p| p.phase == phase) {
            Some(p) => *p = entry,
            None => list.push(entry),
        }
    }

    pub fn clear_progress(&self, id: &str) {
        self.progress.locked().remove(id);
    }

    pub fn set_failure(&self, id: &str, msg: Option<String>) {
        let mut m = self.failures.locked();
        match msg {
            Some(s) => m.insert(id.to_string(), s),
            None => m.remove(id),
        };
    }

    pub fn failure(&self, id: &str) -> Option<String> {
        self.failures.locked().get(id).cloned()
    }

    /// Fork `fork_id` needs `source_id`'s backups and archive (idempotent).
    pub fn hold(&self, source_id: &str, fork_id: &str) {
        self.in_use.locked().entry(source_id.to_string()).or_default().insert(fork_id.to_string());
    }

    /// Fork `fork_id` is done with `source_id`. When it was the last one and the source was
    /// deleted meanwhile, its directory goes now.
    pub fn release(&self, source_id: &str, fork_id: &str) {
        let mut held = self.in_use.locked();
        if let Some(forks) = held.get_mut(source_id) {
            forks.remove(fork_id);
            if forks.is_empty() {
                held.remove(source_id);
            }
        }
        if !held.contains_key(source_id) && self.doomed.locked().remove(source_id) {
            let root = self.layout(source_id).root;
            tracing::info!("removing {} of a deleted service: no fork needs it any more", root.display());
            // Off the async threads: a large tree takes seconds to remove.
            tokio::task::spawn_blocking(move || std::fs::remove_dir_all(root));
        }
    }

    /// Whether a deleted service's directory may go now; while forks need it, it is marked to go
    /// once they finish (see [`Manager::release`]) and this says no.
    pub fn free_to_remove(&self, source_id: &str) -> bool {
        let held = self.in_use.locked();
        if held.contains_key(source_id) {
            self.doomed.locked().insert(source_id.to_string());
            return false;
        }
        true
    }

    pub fn is_held(&self, source_id: &str) -> bool {
        self.in_use.locked().contains_key(source_id)
    }

    /// Databases and users of a running service (cached; refreshed when it answers).
    pub async fn inventory(&self, rec: &ServiceRec) -> (Vec<String>, Vec<String>) {
        if rec.state == State::Running && self.running(&rec.id).is_some() {
            let Ok(engine) = self.engine_of(rec) else { return Default::default() };
            let fresh = tokio::time::timeout(Duration::from_secs(2), engine.inventory(self, rec)).await;
            if let Ok(Ok(inv)) = fresh {
                self.inventory.locked().insert(rec.id.clone(), inv.clone());
                return inv;
            }
        }
        self.inventory
            .locked()
            .get(&rec.id)
            .cloned()
            .unwrap_or_else(|| (vec!["defaultdb".into()], vec!["avnadmin".into()]))
    }

    /// The live PgBouncer of a service.
    pub fn pooler(&self, id: &str) -> Option<Running> {
        self.poolers.locked().get(id).filter(|r| r.is_alive()).cloned()
    }

    /// The control plane is stopping: the watchdog restarts nothing from now on.
    pub fn begin_shutdown(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every registered pooler (for the control plane's shutdown).
    pub fn all_poolers(&self) -> Vec<(String, Running)> {
        self.poolers.locked().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn set_pooler(&self, id: &str, r: Option<Running>) {
        match r {
            Some(r) => self.poolers.locked().insert(id.to_string(), r),
            None => self.poolers.locked().remove(id),
        };
    }

    /// The live standby server `node` (1, 2, …) of a service.
    pub fn standby(&self, id: &str, node: usize) -> Option<Running> {
        self.standbys.locked().get(&(id.to_string(), node)).filter(|r| r.is_alive()).cloned()
    }

    pub fn set_standby(&self, id: &str, node: usize, r: Option<Running>) {
        let key = (id.to_string(), node);
        match r {
            Some(r) => self.standbys.locked().insert(key, r),
            None => self.standbys.locked().remove(&key),
        };
    }

    /// Every registered standby server (for the control plane's shutdown).
    pub fn all_standbys(&self) -> Vec<Running> {
        self.standbys.locked().values().cloned().collect()
    }

    /// Drop the cached inventory of a service after a change to its users or databases.
    pub fn forget_inventory(&self, id: &str) {
        self.inventory.locked().remove(id);
    }

    /// A free TCP port on 127.0.0.1 not assigned to another service.
    pub fn free_port(&self) -> Result<u16, OpError> {
        let mut taken: Vec<u16> = self.store(|s| s.services(None))?.iter().map(|s| s.port).collect();
        taken.extend(self.store(|s| s.pool_ports())?);
        taken.extend(crate::engines::mysql::standby::reserved_ports(&self.instances));
        for _ in 0..50 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            if !taken.contains(&port) {
                return Ok(port);
            }
        }
        Err(OpError::NoFreePort)
    }

    /// The PITR window of a service: (start, end); end None means now.
    pub fn pitr_window(&self, rec: &ServiceRec) -> rusqlite::Result<Option<(String, Option<String>)>> {
        let backups = self.store(|s| s.backups(&rec.id))?;
        Ok(backups.first().map(|b| {
            let end = (rec.state == State::PowerOff).then(|| rec.update_time.clone());
            (b.backup_time.clone(), end)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::Locked;

    #[test]
    fn a_panic_under_a_lock_does_not_take_the_next_request_down() {
        let m = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashMap::from([(1, "a")])));
        let m2 = m.clone();
        let panicked = std::thread::spawn(move || {
            let _guard = m2.locked();
            panic!("a bug in one operation");
        })
        .join();
        assert!(panicked.is_err() && m.is_poisoned());
        m.locked().insert(2, "b");
        assert_eq!(m.locked().len(), 2);
    }
}
