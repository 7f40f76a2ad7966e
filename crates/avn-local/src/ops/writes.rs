//! avn local's endpoints for renames of MySQL and Caching services: stop writes (and write the
//! fence), or lift the stop, as the control plane's own administrator (see `avn_api::writes`);
//! a Caching service's digest; and a backup now.

use std::sync::Arc;

use avn_api::writes::WritesChange;
use avn_api::writes::WritesState;

use crate::engines::mysql;
use crate::engines::valkey;
use crate::engines::Engine;
use crate::error::OpError;
use crate::error::Refusal;
use crate::manager::Manager;
use crate::model::State;
use crate::store::ServiceRec;

/// Whether the control plane stops this engine's writes (not PostgreSQL's: its admin does).
fn stops_writes(e: &Engine) -> bool {
    matches!(e, Engine::Mysql(_) | Engine::Valkey(_))
}

/// The running MySQL or Caching service `name`, under its operation lock.
async fn lock_service(
    m: &Arc<Manager>,
    project: &str,
    name: &str,
) -> Result<(tokio::sync::OwnedMutexGuard<()>, ServiceRec), OpError> {
    let found = m.store(|s| s.service(project, name))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    if !stops_writes(m.engine_of(&found)?) {
        return Err(Refusal::invalid(format!(
            "Service '{name}' is a {} service: its writes are stopped with its own SQL, not here",
            found.service_type
        )));
    }
    let guard = tokio::time::timeout(std::time::Duration::from_secs(60), m.op_lock(&found.id).lock_owned())
        .await
        .map_err(|_| Refusal::conflict(format!("Service '{name}' is busy; try again in a minute")))?;
    let rec = m.store(|s| s.service_by_id(&found.id))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    running(&rec)?;
    if m.running(&rec.id).is_none() {
        return Err(Refusal::conflict(format!("Service '{name}' is not running ({})", rec.state.as_str())));
    }
    Ok((guard, rec))
}

fn running(rec: &ServiceRec) -> Result<(), OpError> {
    if rec.state != State::Running {
        return Err(Refusal::conflict(format!("Service '{}' is not running ({})", rec.name, rec.state.as_str())));
    }
    Ok(())
}

/// Whether writes are stopped: read without the operation lock (a backup holds it for long).
pub async fn state(m: &Arc<Manager>, project: &str, name: &str) -> Result<WritesState, OpError> {
    let rec = m.store(|s| s.service(project, name))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    if !stops_writes(m.engine_of(&rec)?) {
        return Err(Refusal::invalid(format!("Service '{name}' is a {} service", rec.service_type)));
    }
    running(&rec)?;
    if m.running(&rec.id).is_none() {
        return Err(Refusal::conflict(format!("Service '{name}' is not running ({})", rec.state.as_str())));
    }
    let layout = m.layout(&rec.id);
    Ok(match m.engine_of(&rec)? {
        Engine::Valkey(_) => WritesState {
            stopped: valkey::acl::writes_stopped(&layout),
            sessions_ended: 0,
            write_calls: Some(valkey::cmd::write_calls(&layout).await?),
        },
        _ => WritesState { stopped: mysql::sql::writes_stopped(&layout).await?, sessions_ended: 0, write_calls: None },
    })
}

pub async fn change(m: &Arc<Manager>, project: &str, name: &str, body: &WritesChange) -> Result<WritesState, OpError> {
    if body
        .fence
        .as_deref()
        .is_some_and(|f| f.is_empty() || f.len() > 64 || !f.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(Refusal::invalid("A fence id is 1 to 64 letters and digits"));
    }
    let (_guard, rec) = lock_service(m, project, name).await?;
    let layout = m.layout(&rec.id);
    let valkey = matches!(m.engine_of(&rec)?, Engine::Valkey(_));
    if body.stopped {
        if valkey {
            // The users' rules from before go to the marker first; the stop is saved in the ACL
            // file, so a restart keeps it.
            let sessions_ended = valkey::acl::stop_writes(&layout, body.fence.as_deref(), body.remove_fence).await?;
            tracing::info!(service = %rec.name, sessions_ended, "writes stopped");
            return Ok(WritesState { stopped: true, sessions_ended, write_calls: None });
        }
        let marker = mysql::server::writes_stopped_marker(&layout);
        // The marker first: a restart from now on starts read-only.
        avn_util::crashsafe::write(&marker, b"", 0o600)?;
        match mysql::sql::stop_writes(&layout, body.fence.as_deref(), body.remove_fence).await {
            Ok(sessions_ended) => {
                tracing::info!(service = %rec.name, sessions_ended, "writes stopped");
                Ok(WritesState { stopped: true, sessions_ended, write_calls: None })
            }
            Err(e) => {
                // Not stopped after all: a restart must not stop it either.
                if matches!(mysql::sql::writes_stopped(&layout).await, Ok(false)) {
                    std::fs::remove_file(&marker)?;
                }
                Err(e.into())
            }
        }
    } else {
        // Under a rename's lease, only that rename lifts the stop.
        if let Some(lease) = avn_api::lease::Lease::of(&rec.tags) {
            if body.lease.as_deref() != Some(lease.id.as_str()) {
                return Err(Refusal::conflict(format!(
                    "Service '{name}' is under {}: only that rename lifts its stop (or `avn service rename ... --abort`)",
                    lease.describe()
                )));
            }
        }
        if valkey {
            valkey::acl::open_writes(&layout, body.remove_fence).await?;
        } else {
            mysql::sql::open_writes(&layout, body.remove_fence).await?;
            if let Err(e) = std::fs::remove_file(mysql::server::writes_stopped_marker(&layout)) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    return Err(e.into());
                }
            }
        }
        tracing::info!(service = %rec.name, "writes opened");
        Ok(WritesState { stopped: false, sessions_ended: 0, write_calls: None })
    }
}

/// A Caching service's key count and digest of what does not expire by `cutoff` (see
/// `valkey::cmd::digest`).
pub async fn digest(
    m: &Arc<Manager>,
    project: &str,
    name: &str,
    cutoff: i64,
) -> Result<avn_api::writes::Digest, OpError> {
    let (_guard, rec) = lock_service(m, project, name).await?;
    if !matches!(m.engine_of(&rec)?, Engine::Valkey(_)) {
        return Err(Refusal::invalid(format!(
            "Service '{name}' is a {} service: a digest is for Caching services",
            rec.service_type
        )));
    }
    let (keys, digest) = valkey::cmd::digest(&m.layout(&rec.id), cutoff).await?;
    Ok(avn_api::writes::Digest { keys, digest, cutoff })
}

/// A Caching service's fence key, read by the control plane.
pub async fn fence(m: &Arc<Manager>, project: &str, name: &str) -> Result<avn_api::writes::Fence, OpError> {
    let rec = m.store(|s| s.service(project, name))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    if !matches!(m.engine_of(&rec)?, Engine::Valkey(_)) || m.running(&rec.id).is_none() {
        return Err(Refusal::invalid(format!("Service '{name}' is not a running Caching service")));
    }
    Ok(avn_api::writes::Fence { fence: valkey::cmd::fence(&m.layout(&rec.id)).await? })
}

/// Take a backup of a running service now, under its operation lock (a fork from a fresh
/// snapshot; a rename's).
pub async fn backup_now(m: &Arc<Manager>, project: &str, name: &str) -> Result<crate::store::BackupRec, OpError> {
    let found = m.store(|s| s.service(project, name))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    if !crate::catalog::keeps_backups(&found.plan) {
        return Err(Refusal::invalid(format!("Service '{name}' is on plan '{}', which has no backups", found.plan)));
    }
    let guard = tokio::time::timeout(std::time::Duration::from_secs(120), m.op_lock(&found.id).lock_owned())
        .await
        .map_err(|_| Refusal::conflict(format!("Service '{name}' is busy; try again in a minute")))?;
    let rec = m.store(|s| s.service_by_id(&found.id))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    if rec.state != State::Running || rec.op.is_some() || m.running(&rec.id).is_none() {
        return Err(Refusal::conflict(format!(
            "Service '{name}' is not running ({}): a backup is taken of a running service",
            rec.state.as_str()
        )));
    }
    let b = super::backup::take_backup(m, &rec.id).await?;
    drop(guard);
    Ok(b)
}
