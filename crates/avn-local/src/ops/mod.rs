//! Service operations: create, fork, power off/on, update, delete, backups, integrations. They
//! speak to the server through the engine seam (`engines::Engine`) and return domain errors
//! (`OpError`, `Refusal`); `routes` turns those into HTTP answers.
//!
//! Requests are validated completely before anything is written (a refused request changes
//! nothing). Long work runs in a background task that owns the service's operation lock and
//! records its progress; the store always says which operation is in flight, so a restart can
//! redo it (see `reconcile`).
//!
//! - `create`: validate a create or fork request and register the service;
//! - `provision`: build a new service's server (create) or start an existing one (power on);
//! - `fork`: hold the source while the engine restores the fork, and the disk check;
//! - `lifecycle`: update (power, plan, settings) and delete;
//! - `backup`: base backups, their rotation and the scheduler;
//! - `integrations`: validate and record integrations.

use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

use crate::catalog;
use crate::error::OpError;
use crate::manager::now;
use crate::manager::Manager;
use crate::model::Op;
use crate::model::State;
use crate::store::ServiceRec;

mod backup;
mod create;
mod fork;
mod integrations;
pub mod inventory;
mod lifecycle;
pub mod pools;
mod provision;
pub mod writes;

pub use backup::backup_scheduler;
pub use create::create;
pub use fork::space as fork_space;
pub use integrations::create as create_integration;
pub use lifecycle::delete;
pub use lifecycle::update;

/// The maintenance window of a service that was given none (day, `HH:MM:SS` UTC).
pub const DEFAULT_MAINTENANCE: (&str, &str) = ("sunday", "00:00:00");

/// A maintenance window as asked for, checked, with what it does not say taken from `current`.
pub fn maintenance_window(
    asked: &avn_api::MaintenanceWindow,
    current: (String, String),
) -> Result<(String, String), OpError> {
    const DAYS: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let dow = asked.dow.clone().unwrap_or(current.0);
    if !DAYS.contains(&dow.as_str()) {
        return Err(crate::error::Refusal::invalid(format!("Invalid maintenance dow '{dow}': use monday … sunday")));
    }
    let time = asked.time.clone().unwrap_or(current.1);
    let valid = jiff::civil::Time::strptime("%H:%M:%S", &time).is_ok() && time.len() == 8;
    if !valid {
        return Err(crate::error::Refusal::invalid(format!("Invalid maintenance time '{time}': use HH:MM:SS (UTC)")));
    }
    Ok((dow, time))
}

/// Run the service's pending operation in the background.
pub fn spawn_op(m: &Arc<Manager>, id: String) {
    let m = m.clone();
    tokio::spawn(async move {
        let lock = m.op_lock(&id);
        let _guard = lock.lock().await;
        let Ok(Some(rec)) = m.store(|s| s.service_by_id(&id)) else {
            return;
        };
        let Some(op) = rec.op else {
            return;
        };
        let result = match op {
            Op::Create => provision::create(&m, &rec).await,
            Op::Fork => fork::run(&m, &rec).await,
            Op::PowerOn => provision::start(&m, &rec).await,
            Op::Failed | Op::StartFailed => return,
        };
        match result {
            Ok(()) => finished(&m, &id).await,
            Err(e) => failed(&m, &rec, op, e).await,
        }
    });
}

/// The operation succeeded: RUNNING, and a first backup when the plan keeps backups.
async fn finished(m: &Arc<Manager>, id: &str) {
    m.clear_progress(id);
    m.set_failure(id, None);
    let Ok(Some(mut r)) = m.store(|s| s.service_by_id(id)) else {
        return;
    };
    r.state = State::Running;
    r.op = None;
    r.update_time = now();
    let _ = m.store(|s| s.update_service(&r));
    tracing::info!(service = %r.name, "RUNNING");
    if let Err(e) = pools::sync(m, &r).await {
        tracing::warn!(service = %r.name, "its connection pools are not served: {e}");
    }
    let needs_backup = catalog::keeps_backups(&r.plan)
        && m.engine_of(&r).is_ok_and(|e| e.no_backups_reason(&r).is_none())
        && m.store(|s| s.backups(id)).map(|b| b.is_empty()).unwrap_or(false);
    if needs_backup {
        let m2 = m.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            let lock = m2.op_lock(&id);
            let _g = lock.lock().await;
            if let Err(e) = backup::take_backup(&m2, &id).await {
                tracing::error!("first backup of {id}: {e}");
            }
        });
    }
}

/// Every 15 seconds: terminate services whose expiry (the `avn_expires_at` tag) has passed, as
/// `avn service prune` would: never one with termination protection (logged once), never one
/// under a rename lease (it waits for the rename), never one without the tag. Each termination is logged.
pub async fn expiry_reaper(m: Arc<Manager>) {
    let mut protected_logged = std::collections::HashSet::new();
    let mut leased_logged = std::collections::HashSet::new();
    loop {
        tokio::time::sleep(Duration::from_secs(15)).await;
        let Ok(services) = m.store(|s| s.services(None)) else { continue };
        let now = jiff::Timestamp::now();
        for rec in services {
            let Some(at) = avn_api::expiry::of(&rec.tags) else { continue };
            if at > now {
                continue;
            }
            // An expiry that falls due during a rename waits for the rename to end.
            if let Some(lease) = avn_api::lease::Lease::of(&rec.tags) {
                if leased_logged.insert((rec.id.clone(), lease.id.clone())) {
                    tracing::warn!(service = %rec.name, project = %rec.project, expires_at = %at, "expired, but under {}: kept until the rename ends", lease.describe());
                }
                continue;
            }
            if rec.termination_protection {
                if protected_logged.insert(rec.id.clone()) {
                    tracing::warn!(service = %rec.name, project = %rec.project, expires_at = %at, "expired, but termination protection is on: kept");
                }
                continue;
            }
            // Looked at again just before: the same service (not a new one of that name), still
            // expired, still unprotected.
            let again = m.store(|s| s.service(&rec.project, &rec.name)).ok().flatten();
            let still = again.filter(|a| {
                a.id == rec.id
                    && !a.termination_protection
                    && avn_api::lease::Lease::of(&a.tags).is_none()
                    && avn_api::expiry::of(&a.tags).is_some_and(|t| t <= jiff::Timestamp::now())
            });
            if still.is_none() {
                continue;
            }
            match lifecycle::delete(&m, &rec.project, &rec.name).await {
                Ok(()) => {
                    tracing::warn!(service = %rec.name, project = %rec.project, expires_at = %at, "expired: terminated")
                }
                Err(e) => tracing::error!(service = %rec.name, "expired, but terminating it failed: {e:?}"),
            }
        }
    }
}

/// The wait before the next attempt to start a service whose start failed: 5 s, doubling, at
/// most 5 minutes.
pub fn restart_backoff(attempts: u32) -> Duration {
    Duration::from_secs(5u64.saturating_mul(1 << attempts.min(6)).min(300))
}

/// Every couple of seconds: a service the store says is RUNNING whose server has died (a
/// PANIC on a full disk, a kill) is no longer reported RUNNING: it gets a notification and is
/// restarted. Seen dead twice in a row, so a power-off in flight is not mistaken for a crash.
/// A start that failed (no space left, say) is tried again by itself, with a growing wait, until
/// it works or someone powers the service off: the log and the service's notification say when.
pub async fn watchdog(m: Arc<Manager>) {
    let mut suspects = HashSet::new();
    // Services whose start failed: (attempts so far, when to try next).
    let mut retries: HashMap<String, (u32, Instant)> = Default::default();
    // Services restarted after a crash, and when.
    let mut crashes: HashMap<String, Instant> = Default::default();
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if m.is_stopping() {
            return;
        }
        let Ok(services) = m.store(|s| s.services(None)) else { continue };
        // Forgotten once the service has stayed up for a while (or is gone, or powered off): the
        // next failure starts the waits from the beginning.
        let t = Instant::now();
        retries.retain(|id, (_, next)| {
            services
                .iter()
                .any(|r| &r.id == id && r.powered && (r.op.is_some() || t.saturating_duration_since(*next) < STAYED_UP))
        });
        crashes.retain(|id, last| services.iter().any(|r| &r.id == id) && t.duration_since(*last) < STAYED_UP);
        retry_failed_starts(&m, &services, &mut retries);
        restart_poolers(&m, &services).await;
        tend_standbys(&m, &services);
        retry_failed_snapshots(&m, &services).await;
        suspects = restart_dead(&m, services, &suspects, &mut crashes);
    }
}

/// Start the pooler of each running service that has pools and whose pooler is not running
/// (it died, or the control plane restarted and there was none to adopt).
async fn restart_poolers(m: &Arc<Manager>, services: &[ServiceRec]) {
    for rec in services.iter().filter(|r| r.state == State::Running && r.op.is_none()) {
        if m.pooler(&rec.id).is_some() || m.running(&rec.id).is_none() {
            continue;
        }
        if !m.store(|s| s.pools(&rec.id)).is_ok_and(|p| !p.is_empty()) {
            continue;
        }
        let lock = m.op_lock(&rec.id);
        let Ok(_guard) = lock.try_lock() else { continue };
        let Ok(Some(cur)) = m.store(|s| s.service_by_id(&rec.id)) else { continue };
        if let Err(e) = pools::sync(m, &cur).await {
            tracing::warn!(service = %cur.name, "starting its PgBouncer: {e}");
        }
    }
}

/// Caching services whose last snapshot failed refuse writes until one succeeds: one is tried
/// again every 10 seconds, so writes resume soon after the disk has room again.
async fn retry_failed_snapshots(m: &Arc<Manager>, services: &[ServiceRec]) {
    static LAST: std::sync::Mutex<Option<HashMap<String, Instant>>> = std::sync::Mutex::new(None);
    for rec in services.iter().filter(|r| r.service_type == "valkey" && r.state == State::Running && r.op.is_none()) {
        if m.running(&rec.id).is_none() || !crate::engines::valkey::server::persistent(&rec.user_config) {
            continue;
        }
        {
            let mut last = LAST.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let last = last.get_or_insert_with(HashMap::new);
            if last.get(&rec.id).is_some_and(|t| t.elapsed() < Duration::from_secs(10)) {
                continue;
            }
            last.insert(rec.id.clone(), Instant::now());
        }
        if let Ok(true) = crate::engines::valkey::engine::retry_failed_snapshot(&m.layout(&rec.id)).await {
            tracing::warn!(
                service = %rec.name,
                "its last snapshot failed, so it refuses writes until one succeeds: trying again"
            );
        }
    }
}

/// Standby nodes: tended beside each running service (built, restarted, removed: see
/// `engines::mysql::standby`), and stopped beside each service that is not running. One task per
/// service at a time, under its operation lock (never beside a power-off, a fork or a delete).
fn tend_standbys(m: &Arc<Manager>, services: &[ServiceRec]) {
    static BUSY: std::sync::Mutex<Option<HashSet<String>>> = std::sync::Mutex::new(None);
    for rec in services.iter().filter(|r| r.service_type == "mysql") {
        let root = m.layout(&rec.id).root;
        let serving = rec.state == State::Running && rec.op.is_none();
        let to_tend = match (serving, m.running(&rec.id).is_some()) {
            (true, true) => {
                catalog::node_count(&rec.service_type, &rec.plan) > 1 || crate::engines::mysql::standby::any(&root)
            }
            // Its primary died and is being restarted: the standbys keep running (and reconnect).
            (true, false) => false,
            // Powered off, failed, or being rebuilt: standbys left running are stopped.
            (false, _) => !crate::engines::mysql::standby::adopt_all_at(&root).is_empty(),
        };
        if !to_tend {
            continue;
        }
        {
            let mut busy = BUSY.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !busy.get_or_insert_with(HashSet::new).insert(rec.id.clone()) {
                continue;
            }
        }
        let (m, id) = (m.clone(), rec.id.clone());
        tokio::spawn(async move {
            let lock = m.op_lock(&id);
            if let Ok(_guard) = lock.try_lock() {
                if let Ok(Some(cur)) = m.store(|s| s.service_by_id(&id)) {
                    let serving = cur.state == State::Running && cur.op.is_none();
                    match m.engine_of(&cur) {
                        Ok(e) if serving && m.running(&id).is_some() && !m.is_stopping() => {
                            e.tend_standbys(&m, &cur).await
                        }
                        Ok(e) if !serving => e.stop_standbys(&m, &cur).await,
                        _ => {}
                    }
                }
            }
            if let Some(b) = BUSY.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_mut() {
                b.remove(&id);
            }
        });
    }
}

/// A server that stays up this long after a restart has recovered: the waits start over.
const STAYED_UP: Duration = Duration::from_secs(120);

/// Start again, after a growing wait, the services whose start failed and that are still on.
fn retry_failed_starts(m: &Arc<Manager>, services: &[ServiceRec], retries: &mut HashMap<String, (u32, Instant)>) {
    for rec in services.iter().filter(|r| r.op == Some(Op::StartFailed) && r.powered) {
        let t = std::time::Instant::now();
        let (attempts, at) = *retries.entry(rec.id.clone()).or_insert((0, t + restart_backoff(0)));
        let why = m.failure(&rec.id).unwrap_or_default();
        if !why.contains("trying again") {
            let wait = at.saturating_duration_since(t).as_secs().max(1);
            tracing::warn!(service = %rec.name, "could not start; trying again in {wait} s");
            m.set_failure(&rec.id, Some(format!("{why}; trying again in {wait} s")));
        }
        if t < at {
            continue;
        }
        let lock = m.op_lock(&rec.id);
        let Ok(_guard) = lock.try_lock() else { continue };
        let Ok(Some(mut cur)) = m.store(|s| s.service_by_id(&rec.id)) else { continue };
        if cur.op != Some(Op::StartFailed) || !cur.powered {
            continue;
        }
        retries.insert(cur.id.clone(), (attempts + 1, t + restart_backoff(attempts + 1)));
        tracing::warn!(service = %cur.name, attempt = attempts + 1, "starting it again after a failed start");
        cur.state = State::Rebuilding;
        cur.op = Some(Op::PowerOn);
        cur.update_time = now();
        if m.store(|s| s.update_service(&cur)).is_ok() {
            drop(_guard);
            spawn_op(m, cur.id.clone());
        }
    }
}

/// Restart the servers the store says are RUNNING but that have died, when seen dead twice in a
/// row (so a power-off in flight is not mistaken for a crash); one that dies again soon after a
/// restart counts as a failed start. Returns the services seen dead this time.
fn restart_dead(
    m: &Arc<Manager>,
    services: Vec<ServiceRec>,
    suspects: &HashSet<String>,
    crashes: &mut HashMap<String, Instant>,
) -> HashSet<String> {
    let mut dead = HashSet::new();
    for rec in services {
        if rec.state != State::Running || rec.op.is_some() || !rec.powered || m.running(&rec.id).is_some() {
            continue;
        }
        if !suspects.contains(&rec.id) {
            dead.insert(rec.id.clone());
            continue;
        }
        // A server that dies again soon after a restart (a full disk: it starts, then cannot
        // write) is not restarted in a tight loop: it counts as a failed start, tried again
        // after a growing wait (above).
        let t = std::time::Instant::now();
        let again = crashes.get(&rec.id).is_some_and(|last| t.duration_since(*last) < STAYED_UP);
        let lock = m.op_lock(&rec.id);
        let Ok(_guard) = lock.try_lock() else { continue };
        let Ok(Some(mut cur)) = m.store(|s| s.service_by_id(&rec.id)) else { continue };
        if cur.state != State::Running || cur.op.is_some() || !cur.powered || m.running(&cur.id).is_some() {
            continue;
        }
        crashes.insert(cur.id.clone(), t);
        cur.state = State::Rebuilding;
        cur.update_time = now();
        if again {
            let wait = restart_backoff(0).as_secs();
            let server = m.engine_of(&rec).map(|e| e.server_name()).unwrap_or("database");
            tracing::warn!(service = %cur.name, "its {server} server exited again soon after a restart; trying again in {wait} s");
            m.set_failure(&cur.id, Some(format!("the {server} server exited again soon after a restart (is the disk full?); trying again in {wait} s")));
            cur.op = Some(Op::StartFailed);
            // On a full disk the state store cannot be written either: this is tried again
            // at the next look, and the service is not shown RUNNING meanwhile (views).
            if let Err(e) = m.store(|s| s.update_service(&cur)) {
                tracing::warn!(service = %cur.name, "cannot record the failed start: {e}");
            }
            continue;
        }
        let server = m.engine_of(&rec).map(|e| e.server_name()).unwrap_or("database");
        tracing::warn!(service = %cur.name, "its {server} server exited unexpectedly; restarting it");
        m.set_failure(&cur.id, Some(format!("the {server} server exited unexpectedly; restarting it")));
        cur.op = Some(Op::PowerOn);
        if m.store(|s| s.update_service(&cur)).is_ok() {
            drop(_guard);
            spawn_op(m, cur.id.clone());
        }
    }
    dead
}

/// The operation failed: stop what it started and say so on the service.
async fn failed(m: &Arc<Manager>, rec: &ServiceRec, op: Op, e: OpError) {
    tracing::error!(service = %rec.name, "operation {:?} failed: {}", op.as_str(), crate::error::chain(&e));
    if let Some(mut r) = m.running(&rec.id) {
        r.stop().await;
    }
    m.set_running(&rec.id, None);
    if op == Op::Fork {
        // A fork that failed holds nothing anyone can use: free the disk now, not at terminate
        // (a half copy on a full disk would otherwise keep the source from archiving).
        crate::engines::layout::remove_tree(&m.layout(&rec.id).root).await;
    }
    m.set_failure(&rec.id, Some(format!("{} failed: {e}", op.as_str())));
    if let Ok(Some(mut r)) = m.store(|s| s.service_by_id(&rec.id)) {
        r.op = Some(if op == Op::PowerOn { Op::StartFailed } else { Op::Failed });
        let _ = m.store(|s| s.update_service(&r));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn restarts_wait_longer_each_time_up_to_five_minutes() {
        let waits: Vec<u64> = (0..10).map(|a| super::restart_backoff(a).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 300, 300, 300, 300]);
    }
}
