//! Service users and databases (`{base}/user`, `{base}/db`): changed for real on the running
//! server, one change at a time per service (under its operation lock), never while a rename
//! holds the service, and recorded (passwords) only once the server has made the change.

use std::sync::Arc;
use std::time::Duration;

use avn_api::inventory::DatabaseCreate;
use avn_api::inventory::UserCreate;
use avn_api::inventory::UserModify;

use crate::engines::postgres::cluster::DEFAULT_DB;
use crate::error::OpError;
use crate::error::Refusal;
use crate::manager::now;
use crate::manager::Manager;
use crate::model::State;
use crate::random::random_string;
use crate::store::ServiceRec;

/// How long a change waits for the service's running operation (a backup, a fork's copy).
const BUSY_WAIT: Duration = Duration::from_secs(30);

/// Names PostgreSQL keeps for itself, or that the control plane owns.
const RESERVED_USERS: &[&str] = &["postgres", "public", "none", "current_user", "session_user", "current_role"];

/// The service, locked for a change: it exists, it is RUNNING with its server up, and no rename
/// holds it.
pub(super) async fn lock_running(
    m: &Manager,
    project: &str,
    name: &str,
) -> Result<(tokio::sync::OwnedMutexGuard<()>, ServiceRec), OpError> {
    let found = m.store(|s| s.service(project, name))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    let guard = tokio::time::timeout(BUSY_WAIT, m.op_lock(&found.id).lock_owned()).await.map_err(|_| {
        Refusal::conflict(format!("Service '{name}' is busy (a backup or a fork is running); try again in a minute"))
    })?;
    let rec = m.store(|s| s.service_by_id(&found.id))?.ok_or_else(|| Refusal::not_found("Service not found"))?;
    if rec.state != State::Running || rec.op.is_some() || m.running(&rec.id).is_none() {
        return Err(Refusal::conflict(format!(
            "Service '{name}' is not running ({}); try again when it is RUNNING",
            rec.state.as_str()
        )));
    }
    if let Some(lease) = avn_api::lease::Lease::of(&rec.tags) {
        return Err(Refusal::conflict(format!(
            "Service '{name}' is being renamed ({}): its users, databases and pools cannot change until the rename has finished or is aborted",
            lease.describe()
        )));
    }
    Ok((guard, rec))
}

/// Every user's current password as the control plane knows it, the administrator's included
/// (what the service object shows, the pooler's users, what a fork sets).
pub fn current_passwords(m: &Manager, rec: &ServiceRec) -> Result<std::collections::BTreeMap<String, String>, OpError> {
    let mut p = m.store(|s| s.passwords(&rec.id, None))?;
    p.insert(m.engine_of(rec)?.admin().into(), rec.password.clone());
    Ok(p)
}

/// The service, found (any state), for reads.
fn find(m: &Manager, project: &str, name: &str) -> Result<ServiceRec, OpError> {
    m.store(|s| s.service(project, name))?.ok_or_else(|| Refusal::not_found("Service not found"))
}

/// `POST {base}/user`: a login role with a generated password. Returns the user's name and
/// password.
pub async fn create_user(
    m: &Arc<Manager>,
    project: &str,
    name: &str,
    body: &UserCreate,
) -> Result<(String, String), OpError> {
    let user = body.username.as_str();
    let found = find(m, project, name)?;
    let valkey = !m.engine_of(&found)?.has_pitr();
    let reserved = RESERVED_USERS.contains(&user)
        || user.starts_with("pg_")
        || (valkey && user == crate::engines::valkey::cmd::INTERNAL_ADMIN);
    if !avn_api::inventory::valid_username(user) || reserved {
        return Err(Refusal::invalid(format!(
            "Invalid username '{user}': use 1 to 63 letters, digits, '_', '-' or '.', starting with a letter, digit or '_' (not 'pg_' or a reserved name)"
        )));
    }
    if let Some(a) = &body.authentication {
        return Err(Refusal::invalid(format!(
            "authentication '{a}' applies to MySQL services only; PostgreSQL users use scram-sha-256"
        )));
    }
    let rules = if valkey {
        crate::engines::valkey::acl::rules(body.access_control.as_ref()).map_err(Refusal::invalid)?
    } else {
        if let Some(ac) = &body.access_control {
            if ac.keys().any(|k| k != "pg_allow_replication") {
                return Err(Refusal::invalid(
                    "access_control: PostgreSQL users take only pg_allow_replication (the ACL rules are for Valkey)",
                ));
            }
        }
        vec![]
    };
    let (_guard, rec) = lock_running(m, project, name).await?;
    let (_, users) = m.engine_of(&rec)?.inventory(m, &rec).await?;
    if users.iter().any(|u| u == user) {
        return Err(Refusal::conflict(format!("Service user '{user}' already exists in '{name}'")));
    }
    let password = random_string(24);
    m.engine_of(&rec)?.create_user(m, &rec, user, &password, &rules).await?;
    if body.access_control.as_ref().and_then(|a| a.get("pg_allow_replication")).and_then(|v| v.as_bool()) == Some(true)
    {
        m.engine_of(&rec)?.allow_replication(m, &rec, user).await?;
    }
    m.store(|s| s.record_password(&rec.id, user, &password, &now()))?;
    m.forget_inventory(&rec.id);
    super::pools::users_changed(m, &rec).await;
    Ok((user.to_string(), password))
}

/// The password of a user as the control plane knows it (`None` for roles made outside the API).
pub async fn user(m: &Arc<Manager>, project: &str, name: &str, user: &str) -> Result<Option<String>, OpError> {
    let rec = find(m, project, name)?;
    let (_, users) = m.inventory(&rec).await;
    if !users.iter().any(|u| u == user) {
        return Err(Refusal::not_found(format!("Service user '{user}' does not exist in '{name}'")));
    }
    Ok(current_passwords(m, &rec)?.remove(user))
}

/// `PUT {base}/user/{username}`. Resetting gives the user a new password (the one asked for, or
/// a generated one); the old one stops working at once.
pub async fn modify_user(
    m: &Arc<Manager>,
    project: &str,
    name: &str,
    user: &str,
    body: &UserModify,
) -> Result<(), OpError> {
    match body.operation.as_str() {
        avn_api::inventory::RESET_CREDENTIALS => {}
        avn_api::inventory::ACKNOWLEDGE_RENEWAL => {
            find(m, project, name)?;
            return Ok(());
        }
        avn_api::inventory::SET_ACCESS_CONTROL => {
            let found = find(m, project, name)?;
            if m.engine_of(&found)?.has_pitr() {
                return Err(Refusal::invalid("set-access-control applies to Valkey services only"));
            }
            // Checked before anything: then against the user's rules now.
            crate::engines::valkey::acl::rules(body.access_control.as_ref()).map_err(Refusal::invalid)?;
            let (_guard, rec) = lock_running(m, project, name).await?;
            let (_, users) = m.engine_of(&rec)?.inventory(m, &rec).await?;
            if !users.iter().any(|u| u == user) {
                return Err(Refusal::not_found(format!("Service user '{user}' does not exist in '{name}'")));
            }
            // Each list given replaces the user's list of that kind; the others stay.
            let mut merged = m
                .engine_of(&rec)?
                .access_controls(m, &rec)
                .await
                .and_then(|all| all.get(user).and_then(|a| a.as_object().cloned()))
                .unwrap_or_default();
            merged.extend(body.access_control.clone().unwrap_or_default());
            let rules = crate::engines::valkey::acl::rules(Some(&merged)).map_err(Refusal::invalid)?;
            m.engine_of(&rec)?.set_access_control(m, &rec, user, &rules).await?;
            m.forget_inventory(&rec.id);
            return Ok(());
        }
        other => {
            return Err(Refusal::invalid(format!(
                "Unknown operation '{other}': use reset-credentials, acknowledge-renewal or set-access-control"
            )))
        }
    }
    if let Some(p) = &body.new_password {
        if p.chars().count() < 8 || p.chars().count() > 256 {
            return Err(Refusal::invalid("new_password must be 8 to 256 characters long"));
        }
        if p.chars().any(char::is_control) {
            return Err(Refusal::invalid("new_password cannot contain control characters (a NUL, a newline, a tab)"));
        }
    }
    let (_guard, rec) = lock_running(m, project, name).await?;
    let (_, users) = m.engine_of(&rec)?.inventory(m, &rec).await?;
    if !users.iter().any(|u| u == user) {
        return Err(Refusal::not_found(format!("Service user '{user}' does not exist in '{name}'")));
    }
    let password = body.new_password.clone().unwrap_or_else(|| random_string(24));
    m.engine_of(&rec)?.set_password(m, &rec, user, &password).await?;
    let admin = m.engine_of(&rec)?.admin();
    m.store(|s| {
        s.record_password(&rec.id, user, &password, &now())?;
        if user == admin {
            s.set_admin_password(&rec.id, &password)?;
        }
        Ok(())
    })?;
    super::pools::users_changed(m, &rec).await;
    Ok(())
}

/// `DELETE {base}/user/{username}`: never the administrator, never a pool's user.
pub async fn delete_user(m: &Arc<Manager>, project: &str, name: &str, user: &str) -> Result<(), OpError> {
    let admin = m.engine_of(&find(m, project, name)?)?.admin();
    if user == admin {
        return Err(Refusal::invalid(format!("The primary user '{admin}' cannot be deleted")));
    }
    let (_guard, rec) = lock_running(m, project, name).await?;
    let (_, users) = m.engine_of(&rec)?.inventory(m, &rec).await?;
    if !users.iter().any(|u| u == user) {
        return Err(Refusal::not_found(format!("Service user '{user}' does not exist in '{name}'")));
    }
    if let Some(p) = m.store(|s| s.pools(&rec.id))?.iter().find(|p| p.username.as_deref() == Some(user)) {
        return Err(Refusal::conflict(format!(
            "Service user '{user}' is the user of connection pool '{}': delete or change the pool first",
            p.pool_name
        )));
    }
    m.engine_of(&rec)?.delete_user(m, &rec, user).await.map_err(|e| in_words(e, "the user"))?;
    // Its password goes from the record and so from the pooler's users.
    m.store(|s| s.forget_password(&rec.id, user, &now()))?;
    m.forget_inventory(&rec.id);
    super::pools::users_changed(m, &rec).await;
    Ok(())
}

/// `GET {base}/db`: (name, collate, ctype), from the running server or, when it does not
/// answer, the names last seen.
pub async fn databases(
    m: &Arc<Manager>,
    project: &str,
    name: &str,
) -> Result<Vec<(String, Option<(String, String)>)>, OpError> {
    let rec = find(m, project, name)?;
    if rec.state == State::Running && m.running(&rec.id).is_some() {
        if let Ok(Ok(list)) = tokio::time::timeout(Duration::from_secs(5), m.engine_of(&rec)?.databases(m, &rec)).await
        {
            return Ok(list.into_iter().map(|(n, c, t)| (n, Some((c, t)))).collect());
        }
    }
    Ok(m.inventory(&rec).await.0.into_iter().map(|n| (n, None)).collect())
}

/// `POST {base}/db`.
pub async fn create_database(
    m: &Arc<Manager>,
    project: &str,
    name: &str,
    body: &DatabaseCreate,
) -> Result<(), OpError> {
    let db = body.database.as_str();
    if !avn_api::inventory::valid_object_name(db) || matches!(db, "postgres" | "template0" | "template1") {
        return Err(Refusal::invalid(format!(
            "Invalid database name '{db}': use 1 to 63 letters, digits, '_' or '-', starting with a letter or '_' (not postgres, template0 or template1)"
        )));
    }
    for (key, v) in [("lc_collate", &body.lc_collate), ("lc_ctype", &body.lc_ctype)] {
        if v.as_deref().is_some_and(|l| {
            l.is_empty() || l.len() > 128 || !l.chars().all(|c| c.is_ascii_alphanumeric() || "_.@-".contains(c))
        }) {
            return Err(Refusal::invalid(format!("Invalid {key}: use a locale name such as en_US.UTF-8 or C")));
        }
    }
    let (_guard, rec) = lock_running(m, project, name).await?;
    let (dbs, _) = m.engine_of(&rec)?.inventory(m, &rec).await?;
    if dbs.iter().any(|d| d == db) {
        return Err(Refusal::conflict(format!("Database '{db}' already exists in '{name}'")));
    }
    m.engine_of(&rec)?
        .create_database(m, &rec, db, body.lc_collate.as_deref(), body.lc_ctype.as_deref())
        .await
        .map_err(|e| in_words(e, "the database"))?;
    m.forget_inventory(&rec.id);
    Ok(())
}

/// `DELETE {base}/db/{dbname}`: never `defaultdb`, never a pool's database.
pub async fn delete_database(m: &Arc<Manager>, project: &str, name: &str, db: &str) -> Result<(), OpError> {
    if db == DEFAULT_DB {
        return Err(Refusal::invalid(format!("Database '{DEFAULT_DB}' cannot be deleted")));
    }
    let (_guard, rec) = lock_running(m, project, name).await?;
    let (dbs, _) = m.engine_of(&rec)?.inventory(m, &rec).await?;
    if !dbs.iter().any(|d| d == db) {
        return Err(Refusal::not_found(format!("Database '{db}' does not exist in '{name}'")));
    }
    if let Some(p) = m.store(|s| s.pools(&rec.id))?.iter().find(|p| p.database == db) {
        return Err(Refusal::conflict(format!(
            "Database '{db}' is used by connection pool '{}': delete the pool first",
            p.pool_name
        )));
    }
    m.engine_of(&rec)?.delete_database(m, &rec, db).await.map_err(|e| in_words(e, "the database"))?;
    m.forget_inventory(&rec.id);
    Ok(())
}

/// A server's refusal (a role that owns objects, a database in use, an unknown locale) is the
/// caller's to fix: a 400 with the server's words, not a 500.
fn in_words(e: crate::engines::EngineError, what: &str) -> OpError {
    let server_said = match &e {
        crate::engines::EngineError::Postgres(pg) => pg.sqlstate().is_some(),
        crate::engines::EngineError::Mysql(my) => my.server_code().is_some(),
        crate::engines::EngineError::Valkey(v) => {
            matches!(v, crate::engines::valkey::ValkeyError::Server(r) if matches!(r.kind(), redis::ErrorKind::Server(_)))
        }
    };
    if server_said {
        return Refusal::invalid(format!("The server refused to change {what}: {}", crate::error::chain(&e)));
    }
    e.into()
}
