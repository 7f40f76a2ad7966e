//! The redis-server binary, the user it runs as, the configuration file of an instance, and the
//! server process: spawned, adopted after a restart of the control plane, and waited for.

use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::Signal;
use nix::unistd::Gid;
use nix::unistd::Uid;
use serde_json::Map;
use serde_json::Value;

use super::ValkeyError;
use crate::engines::postgres::process::clean_env;
use crate::engines::running::StopSteps;
use crate::engines::Layout;
use crate::engines::Running;

/// SIGTERM: a snapshot when persistence is on (its `save` points), then exit; then SIGKILL.
pub const STOP_STEPS: StopSteps = &[(Signal::SIGTERM, 60), (Signal::SIGKILL, 10)];

/// How long a server may take to load its RDB and accept connections.
pub const START_TIMEOUT: Duration = Duration::from_secs(300);

/// The installed redis-server and the user it runs as.
#[derive(Debug, Clone)]
pub struct Redis {
    pub server: PathBuf,
    /// The full version, as `redis-server --version` prints it (`7.0.15`).
    pub version: String,
    /// Major and minor (`7.0`).
    pub major: String,
    /// Set when running as root: the `redis` user's ids.
    pub run_as: Option<(Uid, Gid)>,
}

/// Where redis-server comes from.
pub const INSTALL_HINT: &str =
    "install redis-server 7 (Debian: apt-get install redis-server redis-tools) or set AVN_REDIS_SERVER";

impl Redis {
    /// Find redis-server: `AVN_REDIS_SERVER`, else `/usr/bin/redis-server`.
    pub fn discover() -> Result<Redis, ValkeyError> {
        let server =
            std::env::var_os("AVN_REDIS_SERVER").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/redis-server".into());
        if !server.is_file() {
            return Err(ValkeyError::NotInstalled(INSTALL_HINT.into()));
        }
        let mut c = std::process::Command::new(&server);
        clean_env(&mut c);
        let out =
            c.arg("--version").output().map_err(|e| ValkeyError::NotInstalled(format!("{}: {e}", server.display())))?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let version =
            parse_version(&text).ok_or_else(|| ValkeyError::NotInstalled(format!("unexpected version {text:?}")))?;
        if version.split('.').next().and_then(|m| m.parse::<u32>().ok()).is_none_or(|m| m < 7) {
            return Err(ValkeyError::NotInstalled(format!("redis-server {version} is too old: {INSTALL_HINT}")));
        }
        let major = version.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
        let run_as = if Uid::effective().is_root() {
            let u = nix::unistd::User::from_name("redis")
                .map_err(|e| ValkeyError::NotInstalled(format!("cannot look up the redis user: {e}")))?
                .ok_or_else(|| {
                    ValkeyError::NotInstalled(
                        "running as root, but there is no 'redis' user to run redis-server as".into(),
                    )
                })?;
            Some((u.uid, u.gid))
        } else {
            None
        };
        Ok(Redis { server, version, major, run_as })
    }

    /// The directories of a new instance, owned by the server's user where it writes.
    pub fn make_dirs(&self, layout: &Layout) -> Result<(), ValkeyError> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(&layout.root)?;
        std::fs::set_permissions(&layout.root, std::fs::Permissions::from_mode(0o711))?;
        for d in [layout.data(), layout.run()] {
            std::fs::create_dir_all(&d)?;
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700))?;
            give(self, &d)?;
        }
        std::fs::create_dir_all(layout.base())?;
        std::fs::set_permissions(layout.base(), std::fs::Permissions::from_mode(0o700))?;
        Ok(())
    }

    /// Spawn redis-server on the instance's configuration file, as its own user, in its own
    /// process group, with a cleared environment.
    pub fn spawn(&self, layout: &Layout) -> Result<Running, ValkeyError> {
        let mut c = tokio::process::Command::new(&self.server);
        c.arg(conf_file(layout));
        if let Some((u, g)) = self.run_as {
            c.uid(u.as_raw()).gid(g.as_raw());
        }
        c.current_dir(layout.data());
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).process_group(0).kill_on_drop(false);
        clean_env(c.as_std_mut());
        let child = c.spawn().map_err(ValkeyError::Spawn)?;
        Ok(Running::child(child, STOP_STEPS))
    }
}

fn parse_version(text: &str) -> Option<String> {
    let after = text.split("v=").nth(1)?;
    let v: String = after.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    (v.matches('.').count() >= 1).then_some(v)
}

pub fn conf_file(layout: &Layout) -> PathBuf {
    layout.root.join("redis.conf")
}
/// The ACL file: in the server's directory, where `ACL SAVE` writes it.
pub fn acl_file(layout: &Layout) -> PathBuf {
    layout.data().join(ACL_FILE)
}
pub const ACL_FILE: &str = "users.acl";
pub const RDB_FILE: &str = "dump.rdb";
pub fn rdb_file(layout: &Layout) -> PathBuf {
    layout.data().join(RDB_FILE)
}
pub fn socket(layout: &Layout) -> PathBuf {
    layout.run().join("redis.sock")
}
pub fn pid_file(layout: &Layout) -> PathBuf {
    layout.run().join("redis.pid")
}
pub fn log(layout: &Layout) -> PathBuf {
    layout.root.join("redis.log")
}
/// The control plane's own ACL user's password (0600).
pub fn admin_password_file(layout: &Layout) -> PathBuf {
    layout.root.join("admin.pw")
}
/// Present while a rename keeps writes stopped: the users' ACL rules from before (JSON).
pub fn writes_stopped_marker(layout: &Layout) -> PathBuf {
    layout.root.join("writes-stopped")
}

/// Open a file the server's user can write (in its directory) for reading, without following a
/// symbolic link, and only when it is a regular file: the control plane runs as root, and reads
/// what it copies into backups and ACL files from there.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // Not blocking either: a FIFO put there would otherwise hang the open.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other(format!("{} is not a regular file", path.display())));
    }
    Ok(f)
}

/// Give one path (not what it points to) to the server's user (no-op when not root).
pub fn give(redis: &Redis, path: &Path) -> Result<(), ValkeyError> {
    if let Some((u, g)) = redis.run_as {
        std::os::unix::fs::lchown(path, Some(u.as_raw()), Some(g.as_raw()))?;
    }
    Ok(())
}

/// Whether the service keeps RDB snapshots (`valkey_persistence`, `rdb` unless `off`).
pub fn persistent(user_config: &Map<String, Value>) -> bool {
    user_config.get("valkey_persistence").and_then(Value::as_str) != Some("off")
}

/// Write the instance's configuration file for `port`: TLS only, the socket, the ACL file, the
/// snapshots its persistence asks for, and the service's `valkey_*` options.
pub fn write_conf(layout: &Layout, port: u16, user_config: &Map<String, Value>) -> Result<(), ValkeyError> {
    let p = |p: PathBuf| quote(&p.display().to_string());
    let run = layout.run();
    let mut text = String::from("# Written by avn local; rewritten at every start.\n");
    let mut set = |k: &str, v: &str| {
        text.push_str(k);
        text.push(' ');
        text.push_str(v);
        text.push('\n');
    };
    set("bind", "127.0.0.1");
    set("port", "0");
    set("tls-port", &port.to_string());
    set("tls-cert-file", &p(run.join("server-cert.pem")));
    set("tls-key-file", &p(run.join("server-key.pem")));
    set("tls-ca-cert-file", &p(run.join("ca.pem")));
    set("tls-auth-clients", "no");
    set("unixsocket", &p(socket(layout)));
    set("unixsocketperm", "700");
    set("protected-mode", "no");
    set("daemonize", "no");
    set("pidfile", &p(pid_file(layout)));
    set("logfile", &p(log(layout)));
    set("dir", &p(layout.data()));
    set("dbfilename", RDB_FILE);
    set("aclfile", &p(acl_file(layout)));
    // For the control plane's own digest of the data (renames): its ACL user alone may run it.
    set("enable-debug-command", "local");
    set("appendonly", "no");
    // RESTORE payloads from clients are checked before they are loaded (not the server's own
    // snapshots, which would load much slower).
    set("sanitize-dump-payload", "clients");
    set("maxmemory", "716mb");
    if persistent(user_config) {
        set("save", "\"3600 1 300 100 60 10000\"");
    } else {
        set("save", "\"\"");
    }
    for (k, v) in super::schema::conf_lines(user_config) {
        set(&k, &v);
    }
    avn_util::crashsafe::write(&conf_file(layout), text.as_bytes(), 0o644).map_err(ValkeyError::Io)
}

/// A path in the configuration file, quoted.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Write the server's certificate and key (signed by the project CA) and the CA, readable by
/// the server's user only.
pub fn write_tls(redis: &Redis, layout: &Layout, ca: &crate::tls::Authority) -> Result<(), ValkeyError> {
    let owner = redis.run_as.map(|(u, g)| (u.as_raw(), g.as_raw()));
    ca.write_server_files(&layout.run(), owner).map_err(|e| ValkeyError::Tls(e.to_string()))
}

/// The server of this instance still running (its pid file names a live redis-server whose
/// configuration file is this instance's).
pub fn adopt(layout: &Layout) -> Option<Running> {
    let pid = live_pid(layout)?;
    Some(Running::adopted(pid, STOP_STEPS))
}

/// The pid of a live server of this instance. redis-server rewrites its command line to its
/// address, so the process is matched by its working directory (this instance's `data/`).
pub fn live_pid(layout: &Layout) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(pid_file(layout)).ok()?.trim().parse().ok()?;
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
    let data = std::fs::canonicalize(layout.data()).unwrap_or_else(|_| layout.data());
    let ours = String::from_utf8_lossy(&cmd).contains("redis-server") && (cwd == data || cwd == layout.data());
    (ours && crate::engines::running::process_alive(pid)).then_some(pid)
}

/// The pid and port an instance's files record (the pid may be stale).
pub fn recorded(layout: &Layout) -> Option<(u32, u16)> {
    let pid: u32 = std::fs::read_to_string(pid_file(layout)).ok()?.trim().parse().ok()?;
    let conf = std::fs::read_to_string(conf_file(layout)).ok()?;
    let port = conf.lines().find_map(|l| l.strip_prefix("tls-port "))?.trim().parse().ok()?;
    Some((pid, port))
}

/// The last lines of the server's log, for a failure message.
pub fn log_tail(layout: &Layout) -> String {
    let text = std::fs::read_to_string(log(layout)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

/// Wait until the server answers the control plane's `PING` on its socket (not `-LOADING`), or
/// exits, or `timeout` passes.
pub async fn wait_ready(layout: &Layout, running: &Running, timeout: Duration) -> Result<(), ValkeyError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if !running.is_alive() {
            return Err(ValkeyError::Exited { during: "start-up", log: log_tail(layout) });
        }
        if super::cmd::ping(layout).await.is_ok() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ValkeyError::NotReady(timeout));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_version_is_read_from_redis_server() {
        let v = super::parse_version("Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1");
        assert_eq!(v.as_deref(), Some("7.0.15"));
        assert!(super::parse_version("nonsense").is_none());
    }
}
