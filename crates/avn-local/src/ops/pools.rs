//! Connection pools (`{base}/connection_pool`): stored by the control plane and served by the
//! service's own pooler (PgBouncer), started with the first pool, reloaded on every change to the
//! pools or the users, watched and restarted by the watchdog, adopted after a restart of the
//! control plane, and stopped with the service or its last pool.

use std::sync::Arc;

use avn_api::inventory::PoolCreate;
use avn_api::inventory::PoolUpdate;
use avn_api::ConnectionPool;

use super::inventory::lock_running;
use crate::engines::postgres::cluster::ADMIN;
use crate::error::OpError;
use crate::error::Refusal;
use crate::manager::Manager;
use crate::model::State;
use crate::store::PoolRec;
use crate::store::ServiceRec;

/// Aiven's defaults for a pool created without them.
const DEFAULT_POOL_SIZE: u32 = 10;
const DEFAULT_POOL_MODE: &str = "transaction";
/// PgBouncer's server connections per pool, at most (the plans allow a few hundred connections).
const MAX_POOL_SIZE: u32 = 1000;

/// Bring the service's pooler in line with its pools: configured and running (started, or
/// adopted after a restart) while the service runs and has pools, stopped otherwise. Called
/// under the service's operation lock.
pub async fn sync(m: &Manager, rec: &ServiceRec) -> Result<(), OpError> {
    if m.is_stopping() {
        return Ok(());
    }
    let pools = m.store(|s| s.pools(&rec.id))?;
    if pools.is_empty() || rec.state != State::Running || m.running(&rec.id).is_none() {
        stop(m, &rec.id).await;
        return Ok(());
    }
    let port = match m.store(|s| s.pool_port(&rec.id))? {
        Some(p) => p,
        None => {
            let p = m.free_port()?;
            m.store(|s| s.set_pool_port(&rec.id, p))?;
            p
        }
    };
    let passwords = super::inventory::current_passwords(m, rec)?;
    m.engine_of(rec)?.configure_pooler(m, rec, port, &pools, &passwords)?;
    if let Some(r) = m.pooler(&rec.id).or_else(|| crate::engines::adopt_pooler_at(&m.layout(&rec.id).root)) {
        m.set_pooler(&rec.id, Some(r.clone()));
        m.engine_of(rec)?.reload_pooler(&r);
        return Ok(());
    }
    if let Err(e) = m.engine_of(rec)?.start_pooler(m, rec, port).await {
        stop(m, &rec.id).await;
        return Err(e.into());
    }
    tracing::info!(service = %rec.name, port, pools = pools.len(), "PgBouncer started");
    Ok(())
}

/// Stop the service's pooler, if it runs.
pub async fn stop(m: &Manager, id: &str) {
    let running = m.pooler(id).or_else(|| crate::engines::adopt_pooler_at(&m.layout(id).root));
    if let Some(mut r) = running {
        r.stop().await;
    }
    m.set_pooler(id, None);
}

/// After a user was created, deleted or given a new password: the pooler learns it.
pub async fn users_changed(m: &Manager, rec: &ServiceRec) {
    if m.pooler(&rec.id).is_none() {
        return;
    }
    let Ok(Some(fresh)) = m.store(|s| s.service_by_id(&rec.id)) else { return };
    if let Err(e) = sync(m, &fresh).await {
        tracing::warn!(service = %rec.name, "updating PgBouncer's users: {e}");
    }
}

/// The pools as the service object shows them, each with the URI that reaches it through the
/// pooler (as the pool's user, or the administrator for a pool without one).
pub fn view(m: &Manager, rec: &ServiceRec) -> Result<Vec<ConnectionPool>, OpError> {
    let pools = m.store(|s| s.pools(&rec.id))?;
    if pools.is_empty() {
        return Ok(vec![]);
    }
    let port = m.store(|s| s.pool_port(&rec.id))?;
    let passwords = super::inventory::current_passwords(m, rec)?;
    Ok(pools
        .into_iter()
        .map(|p| {
            let user = p.username.clone().unwrap_or_else(|| ADMIN.into());
            let password = passwords.get(&user).cloned().unwrap_or_default();
            let (u, pw) = (avn_api::names::uri_userinfo(&user), avn_api::names::uri_userinfo(&password));
            let connection_uri =
                port.map(|port| format!("postgres://{u}:{pw}@127.0.0.1:{port}/{}?sslmode=require", p.pool_name));
            ConnectionPool {
                pool_name: p.pool_name,
                database: p.database,
                username: p.username,
                pool_mode: p.pool_mode,
                pool_size: p.pool_size,
                connection_uri,
                extra: Default::default(),
            }
        })
        .collect())
}

fn check_size(size: Option<u32>) -> Result<(), OpError> {
    match size {
        Some(0) => Err(Refusal::invalid("pool_size must be at least 1")),
        Some(n) if n > MAX_POOL_SIZE => Err(Refusal::invalid(format!("pool_size must be at most {MAX_POOL_SIZE}"))),
        _ => Ok(()),
    }
}

fn check_mode(mode: Option<&str>) -> Result<(), OpError> {
    match mode {
        Some(m) if !avn_api::inventory::POOL_MODES.contains(&m) => {
            Err(Refusal::invalid(format!("Invalid pool_mode '{m}': use session, transaction or statement")))
        }
        _ => Ok(()),
    }
}

/// The pool's database and user exist on the server, and the user's password is known (the
/// pooler logs in with it).
async fn check_targets(m: &Manager, rec: &ServiceRec, database: &str, username: Option<&str>) -> Result<(), OpError> {
    let (dbs, users) = m.engine_of(rec)?.inventory(m, rec).await?;
    if !dbs.iter().any(|d| d == database) {
        return Err(Refusal::invalid(format!(
            "Database '{database}' does not exist in '{}': create it first (avn service database-create)",
            rec.name
        )));
    }
    if let Some(u) = username {
        if !users.iter().any(|x| x == u) {
            return Err(Refusal::invalid(format!(
                "Service user '{u}' does not exist in '{}': create it first (avn service user-create)",
                rec.name
            )));
        }
        if u != ADMIN && m.store(|s| s.password(&rec.id, u))?.is_none() {
            return Err(Refusal::invalid(format!(
                "Service user '{u}' was not created through the API, so its password is unknown to the pooler: reset it first (avn service user-password-reset)"
            )));
        }
    }
    Ok(())
}

/// `POST {base}/connection_pool`.
pub async fn create(m: &Arc<Manager>, project: &str, name: &str, body: &PoolCreate) -> Result<(), OpError> {
    if !avn_api::inventory::valid_object_name(&body.pool_name) || body.pool_name == "pgbouncer" {
        return Err(Refusal::invalid(format!(
            "Invalid pool name '{}': use 1 to 63 letters, digits, '_' or '-', starting with a letter or '_' (not pgbouncer)",
            body.pool_name
        )));
    }
    check_size(body.pool_size)?;
    check_mode(body.pool_mode.as_deref())?;
    let (_guard, rec) = lock_running(m, project, name).await?;
    let engine = m.engine_of(&rec)?;
    if !engine.has_pools() {
        return Err(Refusal::invalid(format!(
            "{} services have no connection pools (Aiven has them for PostgreSQL only)",
            engine.service_type()
        )));
    }
    check_targets(m, &rec, &body.database, body.username.as_deref()).await?;
    let pool = PoolRec {
        pool_name: body.pool_name.clone(),
        database: body.database.clone(),
        username: body.username.clone(),
        pool_size: body.pool_size.unwrap_or(DEFAULT_POOL_SIZE),
        pool_mode: body.pool_mode.clone().unwrap_or_else(|| DEFAULT_POOL_MODE.into()),
    };
    // In one step with a look at the service: a delete that removed it meanwhile wins.
    let added = m.store(|s| match s.service_by_id(&rec.id)? {
        Some(_) => s.add_pool(&rec.id, &pool).map(Some),
        None => Ok(None),
    })?;
    match added {
        None => return Err(Refusal::not_found("Service not found")),
        Some(false) => {
            return Err(Refusal::conflict(format!("Connection pool '{}' already exists in '{name}'", pool.pool_name)))
        }
        Some(true) => {}
    }
    if let Err(e) = sync(m, &rec).await {
        // Not served: not kept.
        let _ = m.store(|s| s.delete_pool(&rec.id, &pool.pool_name));
        let _ = sync(m, &rec).await;
        return Err(e);
    }
    Ok(())
}

/// `PUT {base}/connection_pool/{pool}`: only the keys given change.
pub async fn update(
    m: &Arc<Manager>,
    project: &str,
    name: &str,
    pool_name: &str,
    body: &PoolUpdate,
) -> Result<(), OpError> {
    check_size(body.pool_size)?;
    check_mode(body.pool_mode.as_deref())?;
    let (_guard, rec) = lock_running(m, project, name).await?;
    let before = m
        .store(|s| s.pools(&rec.id))?
        .into_iter()
        .find(|p| p.pool_name == pool_name)
        .ok_or_else(|| Refusal::not_found(format!("Connection pool '{pool_name}' does not exist in '{name}'")))?;
    let mut after = before.clone();
    if let Some(d) = &body.database {
        after.database = d.clone();
    }
    if let Some(u) = &body.username {
        after.username = u.clone().filter(|u| !u.is_empty());
    }
    if let Some(n) = body.pool_size {
        after.pool_size = n;
    }
    if let Some(mode) = &body.pool_mode {
        after.pool_mode = mode.clone();
    }
    check_targets(m, &rec, &after.database, after.username.as_deref()).await?;
    m.store(|s| s.update_pool(&rec.id, &after))?;
    if let Err(e) = sync(m, &rec).await {
        let _ = m.store(|s| s.update_pool(&rec.id, &before));
        let _ = sync(m, &rec).await;
        return Err(e);
    }
    Ok(())
}

/// `DELETE {base}/connection_pool/{pool}`; the pooler stops with the last pool.
pub async fn delete(m: &Arc<Manager>, project: &str, name: &str, pool_name: &str) -> Result<(), OpError> {
    let (_guard, rec) = lock_running(m, project, name).await?;
    if !m.store(|s| s.pools(&rec.id))?.iter().any(|p| p.pool_name == pool_name) {
        return Err(Refusal::not_found(format!("Connection pool '{pool_name}' does not exist in '{name}'")));
    }
    m.store(|s| s.delete_pool(&rec.id, pool_name))?;
    sync(m, &rec).await
}
