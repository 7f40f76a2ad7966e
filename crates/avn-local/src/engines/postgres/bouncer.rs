//! PgBouncer, the connection pooler of a PostgreSQL service (Debian's `pgbouncer`): one process
//! per service that has pools, in the instance's `pgbouncer/` directory, on its own port, with
//! TLS from the project's CA (the server's certificate) and the service users the control plane
//! knows the passwords of. Run as the server's user, in its own process group, with a cleared
//! environment; found again after a restart of the control plane through its pid file.

use std::collections::BTreeMap;
use std::path::Path;
use std::path::PathBuf;

use nix::sys::signal::Signal;

use super::cluster::write_owned_mode;
use super::process::clean_env;
use super::process::private_log;
use super::process::ClusterError;
use super::process::Pg;
use crate::engines::running::process_alive;
use crate::engines::running::Running;
use crate::engines::running::StopSteps;
use crate::engines::Layout;
use crate::store::PoolRec;

/// Immediate shutdown (SIGTERM: clients are disconnected; their server sessions end with them),
/// then SIGKILL.
pub const STOP: StopSteps = &[(Signal::SIGTERM, 10), (Signal::SIGKILL, 5)];

/// The pooler's directory in an instance.
pub fn dir(layout: &Layout) -> PathBuf {
    layout.root.join("pgbouncer")
}

fn ini(layout: &Layout) -> PathBuf {
    dir(layout).join("pgbouncer.ini")
}

fn pidfile(layout: &Layout) -> PathBuf {
    dir(layout).join("pgbouncer.pid")
}

/// The pooler's log (its stderr).
pub fn log(layout: &Layout) -> PathBuf {
    dir(layout).join("pgbouncer.log")
}

/// The `pgbouncer` program: `AVN_PGBOUNCER`, else Debian's `/usr/sbin/pgbouncer`, else on `PATH`.
pub fn program() -> Result<PathBuf, ClusterError> {
    if let Some(p) = std::env::var_os("AVN_PGBOUNCER") {
        return Ok(PathBuf::from(p));
    }
    let debian = PathBuf::from("/usr/sbin/pgbouncer");
    if debian.exists() {
        return Ok(debian);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("pgbouncer")).find(|p| p.exists()))
        .ok_or_else(|| {
            ClusterError::NotInstalled(
                "connection pools need PgBouncer: install it (Debian: apt-get install pgbouncer) or set AVN_PGBOUNCER"
                    .into(),
            )
        })
}

/// One value of a `[databases]` connection string, quoted as PgBouncer reads it: `'value'`, a
/// quote inside doubled (PgBouncer takes no backslash escapes).
fn connstr_value(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// `"name" "password"`, PgBouncer's `auth_file` line (a `"` inside is doubled).
fn userlist_line(user: &str, password: &str) -> String {
    format!("\"{}\" \"{}\"\n", user.replace('"', "\"\""), password.replace('"', "\"\""))
}

/// Write `pgbouncer.ini` and `userlist.txt` (0600, the server user's): the pools as
/// `[databases]` entries pointing at the server on `pg_port`, listening on `port`.
pub fn configure(
    pg: &Pg,
    layout: &Layout,
    pg_port: u16,
    port: u16,
    pools: &[PoolRec],
    passwords: &BTreeMap<String, String>,
) -> Result<(), ClusterError> {
    pg.private_dir(&dir(layout))?;
    let mut users = String::new();
    for (user, password) in passwords {
        users.push_str(&userlist_line(user, password));
    }
    let userlist = dir(layout).join("userlist.txt");
    write_owned_mode(pg, &userlist, &users, 0o600)?;
    let mut s = String::from("# Written by avn local; changes are overwritten.\n[databases]\n");
    for p in pools {
        s.push_str(&format!(
            "{} = host=127.0.0.1 port={pg_port} dbname={} pool_size={} pool_mode={}",
            p.pool_name,
            connstr_value(&p.database),
            p.pool_size,
            p.pool_mode
        ));
        if let Some(u) = &p.username {
            s.push_str(&format!(" user={}", connstr_value(u)));
        }
        s.push('\n');
    }
    let data = layout.data();
    s.push_str(&format!(
        "\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
         pidfile = {}\nauth_type = scram-sha-256\nauth_file = {}\n\
         client_tls_sslmode = require\nclient_tls_cert_file = {}\nclient_tls_key_file = {}\n\
         server_tls_sslmode = require\nmax_client_conn = 500\n\
         ignore_startup_parameters = extra_float_digits,options\n",
        pidfile(layout).display(),
        userlist.display(),
        data.join("server.crt").display(),
        data.join("server.key").display(),
    ));
    write_owned_mode(pg, &ini(layout), &s, 0o600)
}

/// Start PgBouncer on the written configuration, its output appended to its log. It is
/// registered by the caller; it is ready once it listens (see [`wait_listening`]).
pub async fn spawn(pg: &Pg, layout: &Layout) -> Result<Running, ClusterError> {
    let program = program()?;
    let log = private_log(&log(layout))?;
    pg.chown(&self::log(layout))?;
    // A PgBouncer of this instance that could not be adopted (its pid file lost, say) would keep
    // the port and stale users: it goes first.
    for pid in leftovers(layout) {
        tracing::warn!(pid, dir = %dir(layout).display(), "a PgBouncer of this instance that could not be adopted: stopped");
        let mut r = Running::adopted(pid, STOP);
        r.stop().await;
    }
    let _ = std::fs::remove_file(pidfile(layout));
    let mut c = tokio::process::Command::new(program);
    if let Some((u, g)) = pg.run_as {
        c.uid(u.as_raw()).gid(g.as_raw());
    }
    clean_env(c.as_std_mut());
    c.arg(ini(layout))
        .current_dir(dir(layout))
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .kill_on_drop(false);
    let child = c.spawn().map_err(ClusterError::Spawn)?;
    Ok(Running::child(child, STOP))
}

/// Wait until this PgBouncer (its pid in the pid file, alive) accepts TCP connections on `port`,
/// or has exited: its log says why.
pub async fn wait_listening(layout: &Layout, port: u16, running: &Running) -> Result<(), ClusterError> {
    let ready = avn_util::wait::until(
        "PgBouncer to listen",
        std::time::Duration::from_secs(15),
        std::time::Duration::from_millis(50),
        || async {
            if !running.is_alive() {
                return Some(false);
            }
            let ours = std::fs::read_to_string(pidfile(layout)).ok().and_then(|t| t.trim().parse::<i32>().ok())
                == Some(running.pid);
            if !ours {
                return None;
            }
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok().map(|_| running.is_alive())
        },
    )
    .await;
    match ready {
        Ok(true) => Ok(()),
        _ => Err(ClusterError::Tool { tool: "pgbouncer".into(), detail: log_tail(layout) }),
    }
}

/// The last lines of PgBouncer's log that say what went wrong.
fn log_tail(layout: &Layout) -> String {
    let text = std::fs::read_to_string(log(layout)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("FATAL") || l.contains("ERROR")).collect();
    let tail = lines.iter().rev().take(3).rev().cloned().collect::<Vec<_>>().join(" | ");
    if tail.is_empty() {
        "it did not start listening".into()
    } else {
        tail
    }
}

/// Make a running PgBouncer read its configuration and users again.
pub fn reload(running: &Running) {
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(running.pid), Signal::SIGHUP);
}

/// A live PgBouncer of this instance, found through its pid file (after a restart of the
/// control plane): only a `pgbouncer` process started on this instance's configuration.
pub fn adopt(layout: &Layout) -> Option<Running> {
    live(layout).map(|pid| Running::adopted(pid, STOP))
}

fn live(layout: &Layout) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(pidfile(layout)).ok()?.trim().parse().ok()?;
    runs_our_ini(layout, pid).then_some(pid)
}

/// Whether process `pid` is a live PgBouncer started on this instance's configuration (by its
/// path as given or resolved: the data directory may be reached through a symbolic link).
fn runs_our_ini(layout: &Layout, pid: i32) -> bool {
    let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
    let cmd = String::from_utf8_lossy(&cmd);
    let path = ini(layout);
    let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    cmd.contains("pgbouncer")
        && (cmd.contains(&*path.to_string_lossy()) || cmd.contains(&*real.to_string_lossy()))
        && process_alive(pid)
}

/// Every live PgBouncer of this instance, whatever its pid file says.
fn leftovers(layout: &Layout) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else { return vec![] };
    rd.flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|pid| runs_our_ini(layout, *pid))
        .collect()
}

/// A live PgBouncer left in the instance directory `root` (by a control plane killed with -9).
pub fn adopt_at(root: &Path) -> Option<Running> {
    adopt(&Layout::at(root))
}

#[cfg(test)]
mod tests {
    #[test]
    fn auth_file_lines_and_connection_values_are_quoted() {
        assert_eq!(super::userlist_line("app", "p\"w"), "\"app\" \"p\"\"w\"\n");
        assert_eq!(super::connstr_value("it's"), "'it''s'");
        assert_eq!(super::connstr_value("a\\b"), "'a\\b'");
    }
}
