//! Start-up reconciliation after a crash or `kill -9`: adopt servers that are still running,
//! start those that should run, redo interrupted creates and forks from scratch, stop servers
//! that should be off, and stop processes nothing refers to. An instance directory nothing
//! refers to is moved aside (`local_dir::orphaned_dir`, next to the instances), never removed. All of
//! it through the engine seam.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::OpError;
use crate::manager::Manager;
use crate::model::Op;
use crate::model::State;
use crate::ops;
use crate::store::ServiceRec;

pub async fn reconcile(m: &Arc<Manager>) -> Result<(), OpError> {
    let services = m.store(|s| s.services(None))?;
    let known: HashSet<String> = services.iter().map(|s| s.id.clone()).collect();
    set_aside_orphans(m, &known).await;
    for rec in services {
        discard_unlisted_backups(m, &rec)?;
        resume(m, &rec).await?;
    }
    Ok(())
}

/// Instance directories without a service: their servers stopped, the directories moved aside.
async fn set_aside_orphans(m: &Manager, known: &HashSet<String>) {
    let Ok(rd) = std::fs::read_dir(&m.instances) else { return };
    for e in rd.flatten() {
        let id = e.file_name().to_string_lossy().to_string();
        if known.contains(&id) {
            continue;
        }
        let layout = m.layout(&id);
        for mut r in crate::engines::mysql::standby::adopt_all_at(&layout.root) {
            r.stop().await;
        }
        if let Some(mut r) = crate::engines::adopt_any(&layout.root) {
            r.stop().await;
        }
        // Never removed: the state may not know it for reasons of its own (a restored copy).
        let aside =
            crate::local_dir::orphaned_dir(&m.instances).join(format!("{id}-{}", jiff::Timestamp::now().as_second()));
        let moved = std::fs::create_dir_all(aside.parent().expect("has a parent"))
            .and_then(|_| std::fs::rename(&layout.root, &aside));
        match moved {
            Ok(()) => tracing::warn!(
                "instance directory {} belongs to no known service: moved to {}",
                layout.root.display(),
                aside.display()
            ),
            Err(e) => tracing::warn!(
                "instance directory {} belongs to no known service and could not be moved aside ({e}); left in place",
                layout.root.display()
            ),
        }
    }
}

/// Half-written base backups are discarded, and so are backups the state does not list: a
/// crash came between a backup's rename and its record, or between the removal of a rotated
/// backup's record and of its directory (perhaps half removed). Neither is ever restored from;
/// blobs they share with listed backups stay, as hard links.
fn discard_unlisted_backups(m: &Manager, rec: &ServiceRec) -> Result<(), OpError> {
    let listed: HashSet<String> = m.store(|s| s.backups(&rec.id))?.into_iter().map(|b| b.backup_name).collect();
    let Ok(rd) = std::fs::read_dir(m.layout(&rec.id).base()) else { return Ok(()) };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let unlisted = name.starts_with("backup-") && !listed.contains(&name);
        if name.ends_with(".partial") || (unlisted && e.file_type().is_ok_and(|t| t.is_dir())) {
            if unlisted && !name.ends_with(".partial") {
                tracing::warn!(service = %rec.name, backup = %name, "base backup the state does not list: removed");
            }
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    Ok(())
}

/// Bring one service back to what the store says: redo, adopt, start or stop.
async fn resume(m: &Arc<Manager>, rec: &ServiceRec) -> Result<(), OpError> {
    // A pooler left running for a service that is not to run now is stopped; one of a running
    // service is adopted by the watchdog (`ops::pools::sync`).
    if !rec.powered || rec.op.is_some() {
        ops::pools::stop(m, &rec.id).await;
    }
    let adopted = match m.engine_of(rec) {
        Ok(e) => e.adopt(&m.layout(&rec.id)),
        Err(_) => crate::engines::adopt_any(&m.layout(&rec.id).root),
    };
    let failure = match rec.op {
        Some(Op::Create | Op::Fork) => {
            // Interrupted half-way: start over from a clean directory.
            if let Some(mut r) = adopted {
                r.stop().await;
            }
            tracing::info!(service = %rec.name, "redoing interrupted {:?}", rec.op.map(Op::as_str));
            ops::spawn_op(m, rec.id.clone());
            return Ok(());
        }
        Some(Op::StartFailed) => Some(format!(
            "its {} server could not be started; power it off and on once the cause is fixed",
            m.engine_of(rec).map(|e| e.server_name()).unwrap_or("database")
        )),
        Some(Op::Failed) => {
            Some("the operation failed before the control plane restarted; terminate the service and try again".into())
        }
        _ if !rec.powered => None,
        _ => return adopt_or_start(m, rec, adopted).await,
    };
    if let Some(mut r) = adopted {
        r.stop().await;
    }
    if failure.is_some() {
        m.set_failure(&rec.id, failure);
    }
    Ok(())
}

/// A service that should run: adopt its server if it still runs, else start it.
async fn adopt_or_start(
    m: &Arc<Manager>,
    rec: &ServiceRec,
    adopted: Option<crate::engines::Running>,
) -> Result<(), OpError> {
    let Some(r) = adopted else {
        let mut r2 = rec.clone();
        r2.op = Some(Op::PowerOn);
        r2.state = State::Rebuilding;
        m.store(|s| s.update_service(&r2))?;
        ops::spawn_op(m, rec.id.clone());
        return Ok(());
    };
    tracing::info!(service = %rec.name, pid = r.pid, "adopted running server");
    m.set_running(&rec.id, Some(r));
    match m.engine_of(rec)?.refresh_adopted(m, rec).await {
        Ok(true) => tracing::info!(service = %rec.name, "TLS turned on"),
        Ok(false) => {}
        Err(e) => tracing::warn!(service = %rec.name, "cannot turn TLS on: {e}; power it off and on"),
    }
    if rec.op.is_some() {
        let mut r2 = rec.clone();
        r2.op = None;
        r2.state = State::Running;
        let _ = m.store(|s| s.update_service(&r2));
    }
    Ok(())
}
