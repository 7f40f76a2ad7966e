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
    let _ = std::fs::remove_dir_all(&layout.root);
    let has_backups = catalog::keeps_backups(&rec.plan);
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 0, 100);
    cluster::make_dirs(&m.pg, &layout)?;
    cluster::initdb(&m.pg, &layout).await?;
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 50, 100);
    cluster::write_user_conf(&m.pg, &layout, &rec.user_config)?;
    cluster::write_instance_conf(&m.pg, &layout, &m.ca, rec.port, has_backups, None)?;
    let running = m.pg.spawn(&layout)?;
    m.set_running(&rec.id, Some(running.clone()));
    cluster::wait_ready(&layout, rec.port, &running, START_TIMEOUT).await?;
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 70, 100);
    cluster::create_admin(&layout, rec.port, &rec.password).await?;
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
    cluster::write_instance_conf(&m.pg, &layout, &m.ca, rec.port, has_backups, None)?;
    let _ = std::fs::remove_file(layout.data().join("postmaster.pid"));
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 10, 100);
    let running = m.pg.spawn(&layout)?;
    m.set_running(&rec.id, Some(running.clone()));
    Ok(cluster::wait_ready(&layout, rec.port, &running, START_TIMEOUT).await?)
}
