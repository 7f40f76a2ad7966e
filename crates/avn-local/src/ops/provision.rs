//! Bring a cluster up: build a new one (create), or start an existing one (power on, restart).

use std::sync::Arc;

use super::START_TIMEOUT;
use crate::catalog;
use crate::engines::postgres::cluster;
use crate::error::OpError;
use crate::manager::Manager;
use crate::store::ServiceRec;

/// `initdb`, configure, start, create `avnadmin`, and take the first backup if the plan keeps them.
pub async fn create_cluster(m: &Arc<Manager>, rec: &ServiceRec) -> Result<(), OpError> {
    let layout = m.layout(&rec.id);
    // A create redone after a crash: whatever the first try left running here goes first.
    crate::engines::postgres::process::kill_leftovers(&layout.root).await;
    crate::engines::postgres::layout::remove_tree(&layout.root).await;
    let has_backups = catalog::keeps_backups(&rec.plan);
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 0, 100);
    cluster::make_dirs(&m.pg, &layout)?;
    cluster::initdb(&m.pg, &layout).await?;
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 50, 100);
    cluster::write_user_conf(&m.pg, &layout, &rec.user_config)?;
    let port = run_on_a_free_port(m, rec, has_backups).await?;
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 70, 100);
    cluster::create_admin(&layout, port, &rec.password).await?;
    if has_backups {
        m.report(&rec.id, "basebackup", None, 0, 0, 1);
        super::backup::take_backup(m, &rec.id).await?;
    }
    Ok(())
}

/// Start an existing cluster (power on, or a restart for a new setting).
pub async fn start(m: &Arc<Manager>, rec: &ServiceRec) -> Result<(), OpError> {
    let layout = m.layout(&rec.id);
    if m.running(&rec.id).is_some() {
        return Ok(());
    }
    let has_backups = catalog::keeps_backups(&rec.plan);
    let _ = std::fs::remove_file(layout.data().join("postmaster.pid"));
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 10, 100);
    run_on_a_free_port(m, rec, has_backups).await.map(|_| ())
}

/// Configure and start the cluster on the service's port. The port was free when it was chosen,
/// but anyone may take it before PostgreSQL binds it: when the server exits and the port is
/// taken, move the service to another free port and try again (three times at most). Returns
/// the port it runs on.
async fn run_on_a_free_port(m: &Arc<Manager>, rec: &ServiceRec, has_backups: bool) -> Result<u16, OpError> {
    let layout = m.layout(&rec.id);
    let mut port = rec.port;
    for attempt in 1..=3 {
        cluster::write_instance_conf(&m.pg, &layout, &m.ca, port, has_backups, None)?;
        let running = m.pg.spawn(&layout)?;
        m.set_running(&rec.id, Some(running.clone()));
        match cluster::wait_ready(&layout, port, &running, START_TIMEOUT).await {
            Ok(()) => return Ok(port),
            Err(e)
                if attempt < 3 && !running.is_alive() && std::net::TcpListener::bind(("127.0.0.1", port)).is_err() =>
            {
                let next = m.free_port()?;
                tracing::warn!(service = %rec.name, "port {port} was taken before PostgreSQL could bind it ({e}); moving to {next}");
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
