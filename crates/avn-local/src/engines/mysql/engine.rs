//! MariaDB's side of the engine seam (`engines::Engine`): the operations as sequences of this
//! module's tools (`server`, `sql`, `backup`, `binlog`, `fork`).

use std::sync::Arc;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use serde_json::Map;
use serde_json::Value;

use super::binlog;
use super::server;
use super::sql;
use super::Maria;
use super::MysqlError;
use crate::engines::Layout;
use crate::manager::Manager;
use crate::store::ServiceRec;

/// How long a server may take to accept connections after it was spawned.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Stop and remove what an earlier try left, then `mariadb-install-db`.
pub async fn prepare(maria: &Maria, layout: &Layout) -> Result<(), MysqlError> {
    crate::engines::running::kill_leftovers(&layout.root).await;
    crate::engines::layout::remove_tree(&layout.root).await;
    maria.make_dirs(layout)?;
    let datadir = format!("--datadir={}", layout.data().display());
    let user = match maria.run_as {
        Some(_) => "--user=mysql".to_string(),
        None => format!("--user={}", server::os_user()),
    };
    let tmpdir = format!("--tmpdir={}", server::tmp_dir(layout).display());
    maria
        .run(
            "mariadb-install-db",
            &["--no-defaults", &datadir, &user, "--skip-test-db", "--auth-root-authentication-method=socket", &tmpdir],
        )
        .await?;
    Ok(())
}

/// Write the option file and TLS files for `port`, spawn the server and wait until the control
/// plane can log in; then its keeper (binary log archive, heartbeat) runs beside it.
pub async fn start(maria: &Maria, m: &Manager, rec: &ServiceRec, port: u16) -> Result<(), MysqlError> {
    let layout = m.layout(&rec.id);
    let instance = primary(rec, port);
    start_with(maria, m, &rec.id, &layout, &instance).await?;
    if server::admin_password_file(&layout).exists() {
        binlog::spawn_keeper(m, rec);
    }
    Ok(())
}

/// Start the instance with `instance`'s settings and wait for it (as its own administrator
/// once it has one, else through the operating-system user's socket login).
pub async fn start_with(
    maria: &Maria,
    m: &Manager,
    id: &str,
    layout: &Layout,
    instance: &server::Instance<'_>,
) -> Result<crate::engines::Running, MysqlError> {
    let running = launch(maria, m, layout, instance)?;
    m.set_running(id, Some(running.clone()));
    if server::admin_password_file(layout).exists() {
        server::wait_ready(layout, &running, START_TIMEOUT).await?;
    } else {
        wait_socket(layout, &running).await?;
    }
    Ok(running)
}

/// The settings of a service's primary server on `port`: durable, with a binary log where the
/// plan keeps backups.
fn primary(rec: &ServiceRec, port: u16) -> server::Instance<'_> {
    let log_bin = crate::catalog::keeps_backups(&rec.plan);
    server::Instance { port, relaxed: false, log_bin, replay: false, standby: false, user_config: &rec.user_config }
}

/// Write the instance's init, option and TLS files and spawn its server (not waiting for it).
pub fn launch(
    maria: &Maria,
    m: &Manager,
    layout: &Layout,
    instance: &server::Instance<'_>,
) -> Result<crate::engines::Running, MysqlError> {
    let _ = std::fs::remove_file(server::pid_file(layout));
    let _ = std::fs::remove_file(server::socket(layout));
    write_init_file(maria, layout)?;
    server::write_option_file(layout, instance)?;
    server::write_tls(maria, layout, &m.ca)?;
    let log = server::log(layout);
    drop(crate::engines::running::private_log(&log)?);
    maria.chown_tree(&log)?;
    maria.spawn(layout)
}

/// Write the init file once the control plane's administrator has a password: at every start the
/// server (re)creates it and the tools' socket login, and takes back from every application
/// account what `avnadmin` may not have (an account can be given more by writing `mysql.*`, which
/// takes effect at a restart: so never). Readable by the server's user only.
fn write_init_file(maria: &Maria, layout: &Layout) -> Result<(), MysqlError> {
    let Ok(password) = std::fs::read_to_string(server::admin_password_file(layout)) else { return Ok(()) };
    let admin = format!("{}@'localhost'", sql::literal(sql::INTERNAL_ADMIN));
    let tools = format!("{}@'localhost'", sql::literal(&server::os_user()));
    let text = format!(
        "SET SESSION sql_log_bin = 0;\n\
         CREATE USER IF NOT EXISTS {admin} IDENTIFIED BY {pw};\n\
         ALTER USER {admin} IDENTIFIED BY {pw} ACCOUNT UNLOCK;\n\
         GRANT ALL PRIVILEGES ON *.* TO {admin} WITH GRANT OPTION;\n\
         CREATE USER IF NOT EXISTS {tools} IDENTIFIED VIA unix_socket;\n\
         GRANT ALL PRIVILEGES ON *.* TO {tools} WITH GRANT OPTION;\n\
         {strip};\n\
         FLUSH PRIVILEGES;\n\
         {quiet};\n",
        pw = sql::literal(password.trim()),
        strip = sql::strip_escalations(),
        quiet = sql::unmeasured_accounts(),
    );
    let path = server::init_file(layout);
    avn_util::crashsafe::write(&path, text.as_bytes(), 0o600)?;
    maria.chown_tree(&path)
}

/// Before the control plane's administrator exists: wait for the socket to accept.
async fn wait_socket(layout: &Layout, running: &crate::engines::Running) -> Result<(), MysqlError> {
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    loop {
        if !running.is_alive() {
            return Err(MysqlError::Exited { during: "start-up", log: server::log_tail(layout) });
        }
        if tokio::net::UnixStream::connect(server::socket(layout)).await.is_ok() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(MysqlError::NotReady(START_TIMEOUT));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The control plane's administrator, the service's `avnadmin` (without `SUPER` or
/// `READ_ONLY ADMIN`) and `defaultdb`.
pub async fn bootstrap(maria: &Maria, m: &Manager, rec: &ServiceRec) -> Result<(), MysqlError> {
    let layout = m.layout(&rec.id);
    let internal = crate::random::random_string(32);
    sql::bootstrap_internal_admin(maria, &layout, &internal).await?;
    avn_util::crashsafe::write(&server::admin_password_file(&layout), internal.as_bytes(), 0o600)?;
    write_init_file(maria, &layout)?;
    // This first start ran without the init file: the control plane's accounts are taken out of
    // the statement statistics now, and what they ran so far forgotten (in a session of its own,
    // which is no longer measured). Nobody else has a password yet.
    sql::exec(&layout, &[sql::unmeasured_accounts()]).await?;
    sql::exec(&layout, &["TRUNCATE TABLE performance_schema.events_statements_summary_by_digest".to_string()]).await?;
    sql::exec(&layout, &[format!("CREATE DATABASE {}", sql::ident(sql::DEFAULT_DB))]).await?;
    sql::create_user(&layout, sql::ADMIN, &rec.password, true).await?;
    binlog::spawn_keeper(m, rec);
    Ok(())
}

/// After a restart of the control plane: the adopted server gets its keeper again, and TLS is
/// required (a runtime setting).
pub async fn refresh_adopted(m: &Manager, rec: &ServiceRec) -> Result<bool, MysqlError> {
    let layout = m.layout(&rec.id);
    let mut c = sql::admin(&layout).await?;
    let required: Option<String> = c.query_first("SELECT @@require_secure_transport").await?;
    let changed = required.as_deref() != Some("1");
    if changed {
        c.query_drop("SET GLOBAL require_secure_transport = ON").await?;
    }
    c.disconnect().await?;
    binlog::spawn_keeper(m, rec);
    Ok(changed)
}

/// `mysql://avnadmin:…@127.0.0.1:PORT/defaultdb?ssl-mode=REQUIRED` and its parameters.
pub fn uri(rec: &ServiceRec) -> (String, Map<String, Value>) {
    crate::engines::admin_uri("mysql", sql::ADMIN, sql::DEFAULT_DB, ("ssl-mode", "REQUIRED"), rec)
}

/// Write the option file from the service's `mysql.*` options; `reload`: and `SET GLOBAL` each
/// on the running server (all of them are dynamic). An option removed goes back to its default.
pub async fn apply_config(layout: &Layout, rec: &ServiceRec, reload: bool) -> Result<(), MysqlError> {
    server::write_option_file(layout, &primary(rec, rec.port))?;
    if reload {
        set_globals(layout, rec).await?;
    }
    // The standbys too: in their option files, and at once on those that run.
    for (standby, port) in super::standby::built(layout) {
        server::write_option_file(&standby, &super::standby::instance(rec, port))?;
        if reload && server::live_pid(&standby).is_some() {
            // The primary has them already; a standby that cannot take them now has them at its
            // next start.
            if let Err(e) = set_globals(&standby, rec).await {
                tracing::warn!(service = %rec.name, "settings on a standby node: {e}");
            }
        }
    }
    Ok(())
}

/// `SET GLOBAL` each `mysql.*` option on a running server (its default when not set).
async fn set_globals(layout: &Layout, rec: &ServiceRec) -> Result<(), MysqlError> {
    let mut c = sql::admin(layout).await?;
    let set = super::schema::option_lines(&rec.user_config);
    let all = super::schema::mysql_settings_schema();
    for key in all["properties"].as_object().expect("static").keys() {
        let value = set.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        // Names come from the schema; values were checked against it.
        let stmt = match value {
            Some(v) if v.parse::<f64>().is_ok() || v == "ON" || v == "OFF" => format!("SET GLOBAL {key} = {v}"),
            Some(v) => format!("SET GLOBAL {key} = {}", sql::literal(&v)),
            None => format!("SET GLOBAL {key} = DEFAULT"),
        };
        c.query_drop(stmt).await?;
    }
    c.disconnect().await?;
    Ok(())
}

/// Binary log bytes written since `backup` was consistent.
pub async fn changes_since(layout: &Layout, backup: &str) -> Option<u64> {
    let label = super::backup::Label::read(&layout.backup(backup)).ok()?;
    binlog::bytes_since(layout, &label.binlog_file, label.binlog_pos).await.ok()
}

/// Drop archived binary logs no kept backup needs and older than `binlog_retention_period`.
pub async fn trim_archive(m: &Arc<Manager>, rec: &ServiceRec, oldest_kept: Option<&str>) {
    let layout = m.layout(&rec.id);
    let Some(oldest) = oldest_kept else { return };
    let Ok(label) = super::backup::Label::read(&layout.backup(oldest)) else { return };
    let retention = rec.user_config.get("binlog_retention_period").and_then(Value::as_u64).unwrap_or(600);
    match binlog::trim(&layout, &label.binlog_file, Duration::from_secs(retention)) {
        Ok(0) => {}
        Ok(n) => tracing::info!(service = %rec.name, removed = n, "archived binary logs no backup needs removed"),
        Err(e) => tracing::warn!(service = %rec.name, "trimming the binary log archive: {e}"),
    }
}
