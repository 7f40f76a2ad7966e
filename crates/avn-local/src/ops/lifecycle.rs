//! Changes to a service: update (power off/on, plan, termination protection, settings) and
//! delete.

use std::sync::Arc;

use avn_api::ServiceUpdate;
use serde_json::Map;
use serde_json::Value;

use super::spawn_op;
use crate::catalog;
use crate::error::OpError;
use crate::error::Refusal;
use crate::manager::now;
use crate::manager::Manager;
use crate::model::Op;
use crate::model::State;
use crate::store::ServiceRec;

/// Apply a `PUT .../service/{s}`.
pub async fn update(m: &Arc<Manager>, project: &str, name: &str, body: ServiceUpdate) -> Result<ServiceRec, OpError> {
    let found = m.store(|s| s.service(project, name))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    let lock = m.op_lock(&found.id);
    let _guard = lock.lock().await;
    // Read again under the lock: an operation may have finished meanwhile.
    let mut rec = m.store(|s| s.service_by_id(&found.id))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    check_update(m, &rec, &body)?;
    let maintenance = match &body.maintenance {
        Some(w) => {
            let current = m
                .store(|s| s.maintenance(&rec.id))?
                .unwrap_or_else(|| (super::DEFAULT_MAINTENANCE.0.into(), super::DEFAULT_MAINTENANCE.1.into()));
            Some(super::maintenance_window(w, current)?)
        }
        None => None,
    };
    let protect = body.termination_protection.unwrap_or(rec.termination_protection);
    if body.powered == Some(false) && protect {
        return Err(Refusal::protected(
            "Service is protected against termination and shutdown. Remove termination protection first.",
        ));
    }
    if rec.op == Some(Op::StartFailed) && body.powered.is_some() {
        // The server is not running and its data is intact: it counts as powered off, so a
        // power-on starts it again.
        m.set_failure(&rec.id, None);
        rec.op = None;
        rec.state = State::PowerOff;
        rec.powered = false;
    }
    if rec.op.is_some() && body.powered.is_some() {
        return Err(Refusal::conflict(format!(
            "Service '{name}' is busy ({}); try again when it is RUNNING",
            rec.op.map(Op::as_str).unwrap_or("")
        )));
    }
    if body.powered == Some(false) && rec.state != State::PowerOff && m.running(&rec.id).is_some() {
        // Before anything changes: a server that cannot keep what it holds is not stopped.
        m.engine_of(&rec)?.before_power_off(m, &rec).await?;
    }
    let (cfg, restart_needed) = merge_config(m.engine_of(&rec)?, &rec.user_config, &body.user_config);
    let config_changed = cfg != rec.user_config;
    if let Some(mb) = body.disk_space_mb {
        m.store(|s| s.set_disk_space(&rec.id, Some(mb)))?;
    }
    rec.user_config = cfg;
    rec.plan = body.plan.clone();
    rec.termination_protection = protect;
    if config_changed {
        m.engine_of(&rec)?.apply_config(m, &rec, false).await?;
    }
    match body.powered {
        Some(false) if rec.state != State::PowerOff => power_off(m, &mut rec).await,
        Some(true) if rec.state == State::PowerOff => {
            rec.state = State::Rebuilding;
            rec.powered = true;
            rec.op = Some(Op::PowerOn);
        }
        _ if config_changed && rec.state == State::Running && restart_needed => {
            if let Some(mut r) = m.running(&rec.id) {
                r.stop().await;
            }
            rec.state = State::Rebuilding;
            rec.op = Some(Op::PowerOn);
        }
        _ if config_changed && rec.state == State::Running => {
            if let Err(e) = m.engine_of(&rec)?.apply_config(m, &rec, true).await {
                tracing::warn!(service = %rec.name, "reloading its configuration: {e}");
            }
        }
        _ => {}
    }
    rec.update_time = now();
    m.store(|s| {
        s.update_service(&rec)?;
        if let Some((dow, time)) = &maintenance {
            s.set_maintenance(&rec.id, dow, time)?;
        }
        Ok(())
    })?;
    if rec.op == Some(Op::PowerOn) {
        spawn_op(m, rec.id.clone());
    }
    Ok(rec)
}

/// The plan, cloud and options an update asks for must be possible here.
fn check_update(m: &Manager, rec: &ServiceRec, body: &ServiceUpdate) -> Result<(), OpError> {
    if body.plan != rec.plan {
        let Some(new_plan) = catalog::plan(&body.plan, 1) else {
            return Err(Refusal::invalid(format!(
                "Plan '{}' does not exist for service type {}",
                body.plan,
                m.engine_of(rec)?.service_type()
            )));
        };
        if catalog::keeps_backups(&rec.plan) != new_plan.has_backups() {
            return Err(Refusal::invalid("Changing between a plan without backups (hobbyist) and one with backups is not supported locally; fork to the new plan instead"));
        }
    }
    if let Some(c) = body.cloud.as_deref().filter(|c| *c != catalog::CLOUD) {
        return Err(Refusal::invalid(format!(
            "Cloud '{c}' is not available: the local control plane has one cloud, 'local'"
        )));
    }
    catalog::validate_user_config(&body.user_config, &m.engine_of(rec)?.user_config_schema(), false)?;
    if let Some(mb) = body.disk_space_mb {
        let plan = catalog::plan(&body.plan, 1).unwrap_or_default();
        catalog::check_disk_space(&plan, mb).map_err(Refusal::invalid)?;
    }
    Ok(())
}

/// `current` with `changes` merged in (`null` removes a key; the engine's own object, such as
/// `pg`, is merged key by key), and whether a changed engine option needs a restart.
fn merge_config(
    engine: &crate::engines::Engine,
    current: &Map<String, Value>,
    changes: &Map<String, Value>,
) -> (Map<String, Value>, bool) {
    let mut cfg = current.clone();
    let mut restart_needed = false;
    let engine_key = engine.service_type();
    for (k, v) in changes {
        if k == engine_key {
            let mut own = cfg.get(engine_key).and_then(Value::as_object).cloned().unwrap_or_default();
            for (ok, ov) in v.as_object().into_iter().flatten() {
                restart_needed |= engine.needs_restart(ok);
                if ov.is_null() {
                    own.remove(ok);
                } else {
                    own.insert(ok.clone(), ov.clone());
                }
            }
            cfg.insert(engine_key.into(), Value::Object(own));
        } else if v.is_null() {
            cfg.remove(k);
        } else {
            cfg.insert(k.clone(), v.clone());
        }
    }
    (cfg, restart_needed)
}

/// Stop the server, after archiving what it committed where the plan keeps backups.
async fn power_off(m: &Arc<Manager>, rec: &mut ServiceRec) {
    super::pools::stop(m, &rec.id).await;
    if let Ok(e) = m.engine_of(rec) {
        e.stop_standbys(m, rec).await;
    }
    if let Some(mut r) = m.running(&rec.id) {
        let archived = match m.engine_of(rec) {
            Ok(e) if catalog::keeps_backups(&rec.plan) => e.flush_archive(m, rec).await.map_err(OpError::from),
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = archived {
            tracing::warn!("archiving before power-off of {}: {e}", rec.name);
        }
        r.stop().await;
        if let Ok(e) = m.engine_of(rec) {
            e.after_stop(m, rec).await;
        }
    }
    m.set_running(&rec.id, None);
    rec.state = State::PowerOff;
    rec.powered = false;
}

/// `DELETE .../service/{s}`: refused while protected; otherwise stop and remove everything.
pub async fn delete(m: &Arc<Manager>, project: &str, name: &str) -> Result<(), OpError> {
    let rec = m.store(|s| s.service(project, name))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    if rec.termination_protection {
        return Err(Refusal::protected(
            "Service is protected against termination and shutdown. Remove termination protection first.",
        ));
    }
    // Deleting the row first makes a background operation stop at its next look at the store.
    // The lease is read in the same step: a rename that takes it meanwhile is never left with a
    // deleted service.
    let leased = m.store(|s| {
        let lease = s.service_by_id(&rec.id)?.and_then(|r| avn_api::lease::Lease::of(&r.tags));
        if lease.is_none() {
            s.delete_service(&rec.id)?;
        }
        Ok(lease)
    })?;
    if let Some(lease) = leased {
        return Err(Refusal::conflict(format!(
            "Service '{name}' is under {}; it cannot be deleted until the rename ends. {}",
            lease.describe(),
            lease.hint(name)
        )));
    }
    let lock = m.op_lock(&rec.id);
    let _guard = lock.lock().await;
    super::pools::stop(m, &rec.id).await;
    // Standbys of any engine's layout (a type no longer installed still has its directory).
    crate::engines::mysql::standby::stop_all(m, &rec.id).await;
    if let Some(mut r) = m.running(&rec.id) {
        r.stop().await;
    }
    m.set_running(&rec.id, None);
    m.clear_progress(&rec.id);
    m.set_failure(&rec.id, None);
    // A fork being deleted needs its source no more.
    if let Some(f) = &rec.fork {
        m.release(&f.source_id, &rec.id);
    }
    if m.free_to_remove(&rec.id) {
        crate::engines::layout::remove_tree(&m.layout(&rec.id).root).await;
    } else {
        tracing::info!(service = %rec.name, "deleted; its backups and WAL are kept until the forks that need them finish");
    }
    Ok(())
}
