//! avn local's endpoint for renames of MySQL services: stop writes (and commit the fence row) or
//! lift the stop, as the control plane's own administrator (see `avn_api::writes`).

use std::sync::Arc;

use avn_api::writes::WritesChange;
use avn_api::writes::WritesState;

use crate::engines::mysql;
use crate::engines::Engine;
use crate::error::OpError;
use crate::error::Refusal;
use crate::manager::Manager;
use crate::model::State;
use crate::store::ServiceRec;

/// The running MySQL service `name`, under its operation lock.
async fn lock_mysql(
    m: &Arc<Manager>,
    project: &str,
    name: &str,
) -> Result<(tokio::sync::OwnedMutexGuard<()>, ServiceRec), OpError> {
    let found = m.store(|s| s.service(project, name))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    if !matches!(m.engine_of(&found)?, Engine::Mysql(_)) {
        return Err(Refusal::invalid(format!(
            "Service '{name}' is a {} service: its writes are stopped with its own SQL, not here",
            found.service_type
        )));
    }
    let guard = tokio::time::timeout(std::time::Duration::from_secs(60), m.op_lock(&found.id).lock_owned())
        .await
        .map_err(|_| Refusal::conflict(format!("Service '{name}' is busy; try again in a minute")))?;
    let rec = m.store(|s| s.service_by_id(&found.id))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    if rec.state != State::Running || m.running(&rec.id).is_none() {
        return Err(Refusal::conflict(format!("Service '{name}' is not running ({})", rec.state.as_str())));
    }
    Ok((guard, rec))
}

/// Whether writes are stopped: read without the operation lock (a backup holds it for long).
pub async fn state(m: &Arc<Manager>, project: &str, name: &str) -> Result<WritesState, OpError> {
    let rec = m.store(|s| s.service(project, name))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    if !matches!(m.engine_of(&rec)?, Engine::Mysql(_)) {
        return Err(Refusal::invalid(format!("Service '{name}' is a {} service", rec.service_type)));
    }
    if rec.state != State::Running || m.running(&rec.id).is_none() {
        return Err(Refusal::conflict(format!("Service '{name}' is not running ({})", rec.state.as_str())));
    }
    let stopped = mysql::sql::writes_stopped(&m.layout(&rec.id)).await?;
    Ok(WritesState { stopped, sessions_ended: 0 })
}

pub async fn change(m: &Arc<Manager>, project: &str, name: &str, body: &WritesChange) -> Result<WritesState, OpError> {
    if body
        .fence
        .as_deref()
        .is_some_and(|f| f.is_empty() || f.len() > 64 || !f.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(Refusal::invalid("A fence id is 1 to 64 letters and digits"));
    }
    let (_guard, rec) = lock_mysql(m, project, name).await?;
    let layout = m.layout(&rec.id);
    let marker = mysql::server::writes_stopped_marker(&layout);
    if body.stopped {
        // The marker first: a restart from now on starts read-only.
        avn_util::crashsafe::write(&marker, b"", 0o600)?;
        match mysql::sql::stop_writes(&layout, body.fence.as_deref(), body.remove_fence).await {
            Ok(sessions_ended) => {
                tracing::info!(service = %rec.name, sessions_ended, "writes stopped");
                Ok(WritesState { stopped: true, sessions_ended })
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
        mysql::sql::open_writes(&layout, body.remove_fence).await?;
        if let Err(e) = std::fs::remove_file(&marker) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(e.into());
            }
        }
        tracing::info!(service = %rec.name, "writes opened");
        Ok(WritesState { stopped: false, sessions_ended: 0 })
    }
}
