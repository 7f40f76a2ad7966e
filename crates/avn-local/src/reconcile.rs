//! Start-up reconciliation after a crash or `kill -9`: adopt clusters that are still running,
//! start those that should run, redo interrupted creates and forks from scratch, stop clusters
//! that should be off, and stop processes nothing refers to. A directory nothing refers to is
//! moved aside to `orphaned/` next to the instances, never removed.

use std::collections::HashSet;
use std::sync::Arc;

use crate::engines::postgres::cluster;
use crate::engines::postgres::process::Running;
use crate::engines::postgres::sql;
use crate::error::OpError;
use crate::manager::Manager;
use crate::model::Op;
use crate::model::State;
use crate::ops;

pub async fn reconcile(m: &Arc<Manager>) -> Result<(), OpError> {
    let services = m.store(|s| s.services(None))?;
    let known: HashSet<String> = services.iter().map(|s| s.id.clone()).collect();
    // Orphans: instance directories without a service.
    if let Ok(rd) = std::fs::read_dir(&m.instances) {
        for e in rd.flatten() {
            let id = e.file_name().to_string_lossy().to_string();
            if !known.contains(&id) {
                let layout = m.layout(&id);
                if let Some(mut r) = Running::adopt(&layout.data()) {
                    r.stop().await;
                }
                // Never removed: the state may not know it for reasons of its own (a restored copy).
                let aside =
                    crate::orphaned_dir(&m.instances).join(format!("{id}-{}", jiff::Timestamp::now().as_second()));
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
    }
    for rec in services {
        let layout = m.layout(&rec.id);
        // Half-written base backups are discarded, and so are backups the state does not list:
        // a crash came between a backup's rename and its record, or between the removal of a
        // rotated backup's record and of its directory (perhaps half removed). Neither is ever
        // restored from; blobs they share with listed backups stay, as hard links.
        let listed: HashSet<String> = m.store(|s| s.backups(&rec.id))?.into_iter().map(|b| b.backup_name).collect();
        if let Ok(rd) = std::fs::read_dir(layout.base()) {
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
        }
        let adopted = Running::adopt(&layout.data());
        match rec.op {
            Some(Op::Create | Op::Fork) => {
                // Interrupted half-way: start over from a clean directory.
                if let Some(mut r) = adopted {
                    r.stop().await;
                }
                tracing::info!(service = %rec.name, "redoing interrupted {:?}", rec.op.map(Op::as_str));
                ops::spawn_op(m, rec.id.clone());
            }
            Some(Op::StartFailed) => {
                if let Some(mut r) = adopted {
                    r.stop().await;
                }
                m.set_failure(
                    &rec.id,
                    Some(
                        "its PostgreSQL server could not be started; power it off and on once the cause is fixed"
                            .into(),
                    ),
                );
            }
            Some(Op::Failed) => {
                if let Some(mut r) = adopted {
                    r.stop().await;
                }
                m.set_failure(
                    &rec.id,
                    Some(
                        "the operation failed before the control plane restarted; terminate the service and try again"
                            .into(),
                    ),
                );
            }
            _ if !rec.powered => {
                if let Some(mut r) = adopted {
                    r.stop().await;
                }
            }
            _ => match adopted {
                Some(r) => {
                    tracing::info!(service = %rec.name, pid = r.pid, "adopted running cluster");
                    m.set_running(&rec.id, Some(r));
                    // A cluster started by an older avn local runs without TLS while its URI now
                    // says sslmode=require: configure TLS and reload (ssl is reloadable).
                    let conf = std::fs::read_to_string(layout.instance_conf()).unwrap_or_default();
                    if !conf.contains("ssl = on") {
                        let archive = crate::catalog::keeps_backups(&rec.plan);
                        let tls = cluster::write_instance_conf(&m.pg, &layout, &m.ca, rec.port, archive, None);
                        let reloaded = match tls {
                            Ok(()) => match sql::connect(&layout, rec.port, "postgres").await {
                                Ok(c) => c
                                    .simple_query("SELECT pg_reload_conf()")
                                    .await
                                    .map(|_| ())
                                    .map_err(|e| e.to_string()),
                                Err(e) => Err(e.to_string()),
                            },
                            Err(e) => Err(e.to_string()),
                        };
                        match reloaded {
                            Ok(()) => tracing::info!(service = %rec.name, "TLS turned on"),
                            Err(e) => {
                                tracing::warn!(service = %rec.name, "cannot turn TLS on: {e}; power it off and on")
                            }
                        }
                    }
                    if rec.op.is_some() {
                        let mut r2 = rec.clone();
                        r2.op = None;
                        r2.state = State::Running;
                        let _ = m.store(|s| s.update_service(&r2));
                    }
                }
                None => {
                    let mut r2 = rec.clone();
                    r2.op = Some(Op::PowerOn);
                    r2.state = State::Rebuilding;
                    m.store(|s| s.update_service(&r2))?;
                    ops::spawn_op(m, rec.id.clone());
                }
            },
        }
    }
    Ok(())
}
