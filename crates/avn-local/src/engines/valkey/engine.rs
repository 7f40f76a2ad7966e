//! redis-server's side of the engine seam (`engines::Engine`): the operations as sequences of
//! this module's tools (`server`, `cmd`, `acl`, `backup`, `fork`).

use serde_json::Map;
use serde_json::Value;

use super::acl;
use super::cmd;
use super::server;
use super::Redis;
use super::ValkeyError;
use crate::engines::Layout;
use crate::manager::Manager;
use crate::store::ServiceRec;

/// Stop and remove what an earlier try left, then the directories and the ACL file: `default`
/// with the service's password, and the control plane's own user with a fresh one.
pub async fn prepare(redis: &Redis, layout: &Layout, rec: &ServiceRec) -> Result<(), ValkeyError> {
    crate::engines::running::kill_leftovers(&layout.root).await;
    crate::engines::layout::remove_tree(&layout.root).await;
    redis.make_dirs(layout)?;
    let internal = crate::random::random_string(32);
    avn_util::crashsafe::write(&server::admin_password_file(layout), internal.as_bytes(), 0o600)?;
    avn_util::crashsafe::write(&server::acl_file(layout), acl::new_file(&rec.password, &internal).as_bytes(), 0o600)?;
    server::give(redis, &server::acl_file(layout))?;
    Ok(())
}

/// Write the configuration, ACL and TLS files for `port`, spawn the server and wait until it
/// answers (its RDB loaded). `restored`: its first start after a fork restored a snapshot, which
/// it loads whatever its persistence; otherwise, without persistence, a snapshot left from
/// before (persistence was on then) is not loaded: the data does not outlive a restart.
pub async fn start(redis: &Redis, m: &Manager, rec: &ServiceRec, port: u16, restored: bool) -> Result<(), ValkeyError> {
    let layout = m.layout(&rec.id);
    let _ = std::fs::remove_file(server::pid_file(&layout));
    let _ = std::fs::remove_file(server::socket(&layout));
    if !restored && !server::persistent(&rec.user_config) {
        match std::fs::remove_file(server::rdb_file(&layout)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    acl::ensure_admin(&layout)?;
    server::write_conf(&layout, port, &rec.user_config)?;
    server::write_tls(redis, &layout, &m.ca)?;
    let log = server::log(&layout);
    drop(crate::engines::running::private_log(&log)?);
    // What the server writes, given to its user one path at a time (never a walk of a directory
    // its user can change).
    for p in [log, layout.data(), server::acl_file(&layout), server::rdb_file(&layout)] {
        match server::give(redis, &p) {
            Err(ValkeyError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    let running = redis.spawn(&layout)?;
    m.set_running(&rec.id, Some(running.clone()));
    server::wait_ready(&layout, &running, server::START_TIMEOUT).await
}

/// `rediss://default:…@127.0.0.1:PORT` and its parameters, as Aiven's Caching services have them.
pub fn uri(rec: &ServiceRec) -> (String, Map<String, Value>) {
    let uri = format!("rediss://{}:{}@127.0.0.1:{}", acl::ADMIN, avn_api::names::uri_userinfo(&rec.password), rec.port);
    let params = [
        ("host", "127.0.0.1".to_string()),
        ("password", rec.password.clone()),
        ("port", rec.port.to_string()),
        ("ssl", "required".to_string()),
        ("user", acl::ADMIN.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::String(v)))
    .collect();
    (uri, params)
}

/// Write the configuration file; `reload`: and `CONFIG SET` every option on the running server
/// (an option removed goes back to its default), the snapshot points with them.
pub async fn apply_config(layout: &Layout, rec: &ServiceRec, reload: bool) -> Result<(), ValkeyError> {
    server::write_conf(layout, rec.port, &rec.user_config)?;
    if !reload {
        return Ok(());
    }
    let mut c = cmd::admin(layout).await?;
    for (setting, value) in super::schema::settings(&rec.user_config) {
        let _: () = redis::cmd("CONFIG").arg("SET").arg(setting).arg(value).query_async(&mut c).await?;
    }
    let save = if server::persistent(&rec.user_config) { "3600 1 300 100 60 10000" } else { "" };
    let _: () = redis::cmd("CONFIG").arg("SET").arg("save").arg(save).query_async(&mut c).await?;
    Ok(())
}

/// A server whose last snapshot failed (a full disk, a failed fork()) refuses writes until one
/// succeeds (`stop-writes-on-bgsave-error`: nothing is taken that cannot be kept). Its own save
/// points may not try again for up to an hour: try now, when none runs. Returns whether it tried.
pub async fn retry_failed_snapshot(layout: &Layout) -> Result<bool, ValkeyError> {
    let mut c = cmd::admin(layout).await?;
    let info: String = redis::cmd("INFO").arg("persistence").query_async(&mut c).await?;
    let failed = cmd::parse_info(&info, "rdb_last_bgsave_status").as_deref() == Some("err");
    let running = cmd::parse_info(&info, "rdb_bgsave_in_progress").as_deref() == Some("1");
    if !failed || running {
        return Ok(false);
    }
    let _: Result<String, _> = redis::cmd("BGSAVE").query_async(&mut c).await;
    Ok(true)
}

/// The service's users (`ACL USERS`, the control plane's own left out); Caching has no databases.
pub async fn inventory(layout: &Layout) -> Result<(Vec<String>, Vec<String>), ValkeyError> {
    let mut c = cmd::admin(layout).await?;
    let users: Vec<String> = redis::cmd("ACL").arg("USERS").query_async(&mut c).await?;
    Ok((vec![], users.into_iter().filter(|u| u != cmd::INTERNAL_ADMIN).collect()))
}

/// Each user's `access_control`, read from its ACL rules.
pub async fn access_controls(layout: &Layout) -> Result<Map<String, Value>, ValkeyError> {
    Ok(acl::list(layout).await?.into_iter().map(|(u, line)| (u, Value::Object(acl::access_of(&line)))).collect())
}

/// The log's lines as entries (`4301:M 06 Dec 2026 22:13:43.123 * Ready to accept connections`).
pub fn entries(text: &[u8]) -> Vec<crate::engines::postgres::observe::Entry> {
    crate::engines::postgres::observe::entries_by(text, split_line)
}

fn split_line(line: &str) -> Option<(String, &str)> {
    let (_, rest) = line.split_once(':')?;
    let rest = rest.get(2..)?.trim_start();
    let head = rest.get(..24)?;
    let mut f = head.split_whitespace();
    let (day, mon, year, time) = (f.next()?, f.next()?, f.next()?, f.next()?);
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == mon)? + 1;
    let day: u32 = day.parse().ok()?;
    let (hms, ms) = time.split_once('.')?;
    if hms.len() != 8 || ms.len() != 3 || !year.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let msg = rest.get(24..)?.trim_start();
    // The level mark (`*`, `#`, `-`, `.`) stays out of the message.
    let msg = msg.strip_prefix(['*', '#', '-', '.']).map(str::trim_start).unwrap_or(msg);
    Some((format!("{year}-{month:02}-{day:02}T{hms}.{ms}000"), msg))
}

/// Caching services have no SQL sessions or statement statistics.
pub fn no_queries() -> ValkeyError {
    ValkeyError::NotApplicable(
        "Caching services have no query statistics or SQL sessions; see the connections with `avn service cli SERVICE` and CLIENT LIST".into(),
    )
}

/// Caching services have numbered databases only.
pub fn no_databases() -> ValkeyError {
    ValkeyError::NotApplicable(
        "Caching services have no named databases (they have numbered ones, set with -c valkey_number_of_databases=N at creation)".into(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_lines_become_entries_in_utc() {
        let text = b"4301:C 06 Dec 2026 22:13:43.123 # oO0OoO0OoO0Oo Redis is starting\n4301:M 06 Dec 2026 22:13:44.001 * Ready to accept connections tls\nno time here\n";
        let e = super::entries(text);
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].time, "2026-12-06T22:13:43.123000");
        assert_eq!(e[1].msg, "Ready to accept connections tls");
        assert_eq!(e[2].time, "2026-12-06T22:13:44.001000");
    }
}
