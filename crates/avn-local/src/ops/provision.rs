//! Bring a service's server up: build a new one (create), or start an existing one (power on,
//! restart), through the engine.

use std::sync::Arc;

use crate::catalog;
use crate::error::OpError;
use crate::manager::Manager;
use crate::store::ServiceRec;

/// Prepare the data, start, create the administrator, and take the first backup if the plan
/// keeps them.
pub async fn create(m: &Arc<Manager>, rec: &ServiceRec) -> Result<(), OpError> {
    let has_backups = catalog::keeps_backups(&rec.plan);
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 0, 100);
    m.engine_of(rec)?.prepare(m, rec).await?;
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 50, 100);
    let port = run_on_a_free_port(m, rec, has_backups).await?;
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 70, 100);
    m.engine_of(rec)?.bootstrap(m, rec, port).await?;
    if has_backups && m.engine_of(rec)?.no_backups_reason(rec).is_none() {
        m.report(&rec.id, "basebackup", None, 0, 0, 1);
        super::backup::take_backup(m, &rec.id).await?;
    }
    Ok(())
}

/// Start an existing server (power on, or a restart for a new setting).
pub async fn start(m: &Arc<Manager>, rec: &ServiceRec) -> Result<(), OpError> {
    if m.running(&rec.id).is_some() {
        return Ok(());
    }
    let has_backups = catalog::keeps_backups(&rec.plan);
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 10, 100);
    run_on_a_free_port(m, rec, has_backups).await.map(|_| ())
}

/// Start the server on the service's port. The port was free when it was chosen, but anyone
/// may take it before the server binds it: when the server exits and the port is taken, move
/// the service to another free port and try again (three times at most). Returns the port it
/// runs on.
async fn run_on_a_free_port(m: &Arc<Manager>, rec: &ServiceRec, has_backups: bool) -> Result<u16, OpError> {
    let mut port = rec.port;
    for attempt in 1..=3 {
        match m.engine_of(rec)?.start(m, rec, port, has_backups).await {
            Ok(()) => return Ok(port),
            Err(e) if attempt < 3 && port_taken(m, rec, port) => {
                let next = m.free_port()?;
                let server = m.engine_of(rec)?.server_name();
                tracing::warn!(service = %rec.name, "port {port} was taken before {server} could bind it ({e}); moving to {next}");
                let mut moved = m.store(|s| s.service_by_id(&rec.id))?.ok_or(OpError::ServiceGone)?;
                moved.port = next;
                m.store(|s| s.update_service(&moved))?;
                port = next;
            }
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the last attempt returns")
}

/// Whether the server exited and someone else holds `port`.
fn port_taken(m: &Manager, rec: &ServiceRec, port: u16) -> bool {
    m.running(&rec.id).is_none() && std::net::TcpListener::bind(("127.0.0.1", port)).is_err()
}
