//! MariaDB binaries, the user its server runs as, the option file of an instance, and the server
//! process: spawned, adopted after a restart of the control plane, and waited for.

use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::Signal;
use nix::unistd::Gid;
use nix::unistd::Uid;

use super::MysqlError;
use crate::engines::postgres::process::clean_env;
use crate::engines::running::StopSteps;
use crate::engines::Layout;
use crate::engines::Running;

/// SIGTERM is a clean shutdown (up to seconds with a dirty buffer pool); then SIGKILL (InnoDB
/// recovers from its redo log at the next start).
pub const STOP_STEPS: StopSteps = &[(Signal::SIGTERM, 60), (Signal::SIGKILL, 10)];

/// The installed MariaDB and the user its server runs as.
#[derive(Debug, Clone)]
pub struct Maria {
    /// Where the client tools are (`mariadb`, `mariadb-backup`, `mariadb-binlog`, …).
    pub bindir: PathBuf,
    /// The server binary (`/usr/sbin/mariadbd`).
    pub server: PathBuf,
    /// The full version, as `mariadbd --version` prints it (`10.11.19`).
    pub version: String,
    /// Major and minor (`10.11`).
    pub major: String,
    /// Set when running as root: the `mysql` user's ids (the server drops to it).
    pub run_as: Option<(Uid, Gid)>,
}

/// The tools a MySQL service needs, and the Debian packages they come from.
pub const INSTALL_HINT: &str =
    "install MariaDB 10.11 (Debian: apt-get install mariadb-server mariadb-backup mariadb-client) or set AVN_MARIADB_BINDIR";

impl Maria {
    /// Find MariaDB: `AVN_MARIADB_BINDIR` (the client tools; the server beside them or in
    /// `../sbin`), else `/usr/bin` and `/usr/sbin`.
    pub fn discover() -> Result<Maria, MysqlError> {
        let bindir = std::env::var_os("AVN_MARIADB_BINDIR").map(PathBuf::from).unwrap_or_else(|| "/usr/bin".into());
        let server = [bindir.join("mariadbd"), bindir.join("../sbin/mariadbd"), PathBuf::from("/usr/sbin/mariadbd")]
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| MysqlError::NotInstalled(INSTALL_HINT.into()))?;
        for tool in ["mariadb-install-db", "mariadb-backup", "mariadb-binlog", "mariadb"] {
            if !bindir.join(tool).is_file() {
                return Err(MysqlError::NotInstalled(format!("{tool} is missing: {INSTALL_HINT}")));
            }
        }
        let mut c = std::process::Command::new(&server);
        clean_env(&mut c);
        let out =
            c.arg("--version").output().map_err(|e| MysqlError::NotInstalled(format!("{}: {e}", server.display())))?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let version =
            parse_version(&text).ok_or_else(|| MysqlError::NotInstalled(format!("unexpected version {text:?}")))?;
        let major = version.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
        let run_as = if Uid::effective().is_root() {
            let u = nix::unistd::User::from_name("mysql")
                .map_err(|e| MysqlError::NotInstalled(format!("cannot look up the mysql user: {e}")))?
                .ok_or_else(|| {
                    MysqlError::NotInstalled("running as root, but there is no 'mysql' user to run MariaDB as".into())
                })?;
            Some((u.uid, u.gid))
        } else {
            None
        };
        Ok(Maria { bindir, server, version, major, run_as })
    }

    /// A command for a client tool, as the control plane's user, in its own process group, with a
    /// cleared environment: nothing the control plane was given (an API token) reaches it.
    pub fn tool(&self, name: &str) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(self.bindir.join(name));
        c.stdin(Stdio::null()).process_group(0);
        clean_env(c.as_std_mut());
        crate::engines::postgres::process::die_with_parent(&mut c);
        c
    }

    /// Run a tool to completion; its stderr becomes the error.
    pub async fn run(&self, name: &str, args: &[&str]) -> Result<(), MysqlError> {
        let mut c = self.tool(name);
        c.args(args);
        crate::engines::postgres::process::run_captured(name, c).await.map_err(|e| MysqlError::Tool(e.to_string()))
    }

    /// Give a path (recursively) to the server's user (no-op when not root).
    pub fn chown_tree(&self, p: &Path) -> Result<(), MysqlError> {
        let Some((u, g)) = self.run_as else { return Ok(()) };
        fn walk(p: &Path, u: Uid, g: Gid) -> std::io::Result<()> {
            std::os::unix::fs::lchown(p, Some(u.as_raw()), Some(g.as_raw()))?;
            if std::fs::symlink_metadata(p)?.is_dir() {
                for e in std::fs::read_dir(p)? {
                    walk(&e?.path(), u, g)?;
                }
            }
            Ok(())
        }
        walk(p, u, g).map_err(MysqlError::Io)
    }

    /// A file the server only reads and another instance owns (an archived binary log staged by
    /// a hard link): group-readable by the server's group, written by nobody, its owner unchanged.
    pub fn share_read_only(&self, p: &Path) -> Result<(), MysqlError> {
        use std::os::unix::fs::PermissionsExt;
        let Some((_, g)) = self.run_as else { return Ok(()) };
        std::os::unix::fs::lchown(p, None, Some(g.as_raw()))?;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o440))?;
        Ok(())
    }

    /// The directories of a new instance, owned by the server's user where it writes.
    pub fn make_dirs(&self, layout: &Layout) -> Result<(), MysqlError> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(&layout.root)?;
        std::fs::set_permissions(&layout.root, std::fs::Permissions::from_mode(0o711))?;
        for d in [layout.data(), binlog_dir(layout), layout.run(), tmp_dir(layout)] {
            std::fs::create_dir_all(&d)?;
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700))?;
            self.chown_tree(&d)?;
        }
        for d in [layout.archive(), layout.base()] {
            std::fs::create_dir_all(&d)?;
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }

    /// Spawn `mariadbd` on the instance's option file, as its own user, in its own process group.
    pub fn spawn(&self, layout: &Layout) -> Result<Running, MysqlError> {
        let mut c = tokio::process::Command::new(&self.server);
        c.arg(format!("--defaults-file={}", option_file(layout).display()));
        if self.run_as.is_some() {
            c.arg("--user=mysql");
        }
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).process_group(0).kill_on_drop(false);
        clean_env(c.as_std_mut());
        let child = c.spawn().map_err(MysqlError::Spawn)?;
        Ok(Running::child(child, STOP_STEPS))
    }
}

/// The operating-system user the control plane runs as: `mariadb-install-db` gives it a socket
/// login (`unix_socket`), which the tools use, so they need no password.
pub fn os_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::effective())
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| "root".into())
}

fn parse_version(text: &str) -> Option<String> {
    let after = text.split("Ver ").nth(1)?;
    let v: String = after.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    (v.matches('.').count() >= 1).then_some(v)
}

/// The server's own temporary directory (`mariadb-install-db` and the server would otherwise share
/// `/tmp` with every other server, and collide).
pub fn tmp_dir(layout: &Layout) -> PathBuf {
    layout.root.join("tmp")
}
/// SQL the server runs at each start, before it accepts connections (`init-file`): the control
/// plane's accounts as they must be, and no application account above what `avnadmin` may do.
pub fn init_file(layout: &Layout) -> PathBuf {
    layout.run().join("init.sql")
}
pub fn binlog_dir(layout: &Layout) -> PathBuf {
    layout.root.join("binlog")
}
pub fn option_file(layout: &Layout) -> PathBuf {
    layout.root.join("my.cnf")
}
pub fn socket(layout: &Layout) -> PathBuf {
    layout.run().join("mysqld.sock")
}
pub fn pid_file(layout: &Layout) -> PathBuf {
    layout.run().join("mariadbd.pid")
}
pub fn log(layout: &Layout) -> PathBuf {
    layout.root.join("mariadb.log")
}
/// Present while a rename keeps writes stopped: the server starts with `read_only` on, so a
/// restart (after a crash, or a power cycle) never opens writes behind the rename's back.
pub fn writes_stopped_marker(layout: &Layout) -> PathBuf {
    layout.root.join("writes-stopped")
}
/// The control plane's own administrator's password (0600): `avn_admin@localhost`, which logs in
/// through the socket only.
pub fn admin_password_file(layout: &Layout) -> PathBuf {
    layout.root.join("admin.pw")
}

/// The relay log's base name, in the data directory of a fork that replays binary logs.
pub const RELAY_LOG: &str = "relay-bin";

/// What the option file says beyond the service's own `mysql.*` options.
pub struct Instance<'a> {
    pub port: u16,
    /// Relaxed durability while a fork replays binary logs (made durable before it is used).
    pub relaxed: bool,
    /// Write a binary log (not while a fork replays one, nor on plans without backups).
    pub log_bin: bool,
    /// A fork replaying binary logs: socket only (no client reaches it half-restored), packets as
    /// large as a replayed statement can be, and none of the service's own options.
    pub replay: bool,
    /// A standby node: a read-only replica of the primary (see `standby`), with no binary log of
    /// its own, whose replication restarts with it and survives a crash (`relay-log-recovery`).
    pub standby: bool,
    pub user_config: &'a serde_json::Map<String, serde_json::Value>,
}

/// Write the instance's option file: every setting the server runs with, in one place.
pub fn write_option_file(layout: &Layout, i: &Instance<'_>) -> Result<(), MysqlError> {
    let mut text = String::from("# Written by avn local; rewritten at every start.\n[mariadbd]\n");
    let mut set = |k: &str, v: &str| {
        text.push_str(k);
        if !v.is_empty() {
            text.push_str(" = ");
            text.push_str(v);
        }
        text.push('\n');
    };
    let p = |p: PathBuf| p.display().to_string();
    set("datadir", &p(layout.data()));
    set("port", &i.port.to_string());
    set("bind-address", "127.0.0.1");
    set("socket", &p(socket(layout)));
    set("pid-file", &p(pid_file(layout)));
    set("log-error", &p(log(layout)));
    set("skip-name-resolve", "");
    // Distinct per service (ports are), so binary logs of different services never mix ids.
    set("server-id", &i.port.to_string());
    if i.log_bin {
        set("log-bin", &p(binlog_dir(layout).join("binlog")));
        set("binlog-format", "ROW");
        set("max-binlog-size", "64M");
    } else {
        set("skip-log-bin", "");
    }
    set("sync-binlog", if i.relaxed { "0" } else { "1" });
    set("innodb-flush-log-at-trx-commit", if i.relaxed { "0" } else { "1" });
    // A replay applies a whole load at once: more of it stays in memory until the shutdown.
    set("innodb-buffer-pool-size", if i.replay { "512M" } else { "128M" });
    set("ssl-cert", &p(layout.run().join("server-cert.pem")));
    set("ssl-key", &p(layout.run().join("server-key.pem")));
    set("ssl-ca", &p(layout.run().join("ca.pem")));
    set("require-secure-transport", "ON");
    set("tmpdir", &p(tmp_dir(layout)));
    if (writes_stopped_marker(layout).exists() && !i.replay) || i.standby {
        set("read-only", "ON");
    }
    if i.standby || i.replay {
        // Events are applied whatever server id wrote them: a source's old port (its id) may be
        // this server's port now. Safe: neither writes a binary log.
        set("replicate-same-server-id", "1");
    }
    if i.standby {
        set("relay-log", &p(layout.data().join(RELAY_LOG)));
        set("relay-log-index", &p(layout.data().join(format!("{RELAY_LOG}.index"))));
        set("relay-log-recovery", "1");
    }
    if init_file(layout).exists() {
        set("init-file", &p(init_file(layout)));
    }
    if i.replay {
        set("skip-networking", "");
        set("max-allowed-packet", "1G");
        // The archived binary logs, staged as this server's relay log and applied by its own
        // replication SQL thread (see `fork`); never a connection to any source.
        set("relay-log", &p(layout.data().join(RELAY_LOG)));
        set("relay-log-index", &p(layout.data().join(format!("{RELAY_LOG}.index"))));
        set("relay-log-purge", "0");
        set("relay-log-recovery", "0");
        set("skip-slave-start", "");
        // A replay that does not end in a clean shutdown is thrown away, so no torn page can
        // survive into a fork: the doublewrite buffer only costs time here.
        set("innodb-doublewrite", "0");
        return avn_util::crashsafe::write(&option_file(layout), text.as_bytes(), 0o644).map_err(MysqlError::Io);
    }
    // Statement statistics by digest (`service queries`); no long histories.
    set("performance-schema", "ON");
    for kind in ["waits", "stages", "statements", "transactions"] {
        set(&format!("performance-schema-events-{kind}-history-long-size"), "0");
    }
    for (k, v) in super::schema::option_lines(i.user_config) {
        set(&k.replace('_', "-"), &v);
    }
    avn_util::crashsafe::write(&option_file(layout), text.as_bytes(), 0o644).map_err(MysqlError::Io)
}

/// Write the server's certificate and key (signed by the project CA) and the CA, readable by
/// the server's user only.
pub fn write_tls(maria: &Maria, layout: &Layout, ca: &crate::tls::Authority) -> Result<(), MysqlError> {
    let owner = maria.run_as.map(|(u, g)| (u.as_raw(), g.as_raw()));
    ca.write_server_files(&layout.run(), owner).map_err(|e| MysqlError::Tls(e.to_string()))
}

/// The server of this instance still running (its pid file names a live `mariadbd` whose option
/// file is this instance's).
pub fn adopt(layout: &Layout) -> Option<Running> {
    let pid = live_pid(layout)?;
    Some(Running::adopted(pid, STOP_STEPS))
}

/// The pid of a live server of this instance.
pub fn live_pid(layout: &Layout) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(pid_file(layout)).ok()?.trim().parse().ok()?;
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let cmd = String::from_utf8_lossy(&cmd);
    let ours = cmd.contains(&option_file(layout).display().to_string())
        || std::fs::canonicalize(&layout.root)
            .is_ok_and(|real| cmd.contains(&option_file(&Layout::at(&real)).display().to_string()));
    (ours && crate::engines::running::process_alive(pid)).then_some(pid)
}

/// The pid and port an instance's files record (the pid may be stale).
pub fn recorded(layout: &Layout) -> Option<(u32, u16)> {
    let pid: u32 = std::fs::read_to_string(pid_file(layout)).ok()?.trim().parse().ok()?;
    let conf = std::fs::read_to_string(option_file(layout)).ok()?;
    let port = conf.lines().find_map(|l| l.strip_prefix("port = "))?.trim().parse().ok()?;
    Some((pid, port))
}

/// The last lines of the server's error log, for a failure message.
pub fn log_tail(layout: &Layout) -> String {
    let text = std::fs::read_to_string(log(layout)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.contains("max_open_files")).collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

/// Whether the server's last stop was clean: its log says "Shutdown complete" after byte `from`.
pub fn shut_down_cleanly(layout: &Layout, from: u64) -> bool {
    let text = std::fs::read(log(layout)).unwrap_or_default();
    let tail = text.get(from as usize..).unwrap_or_default();
    String::from_utf8_lossy(tail).contains("Shutdown complete")
}

/// Wait until the server accepts the control plane's own login on its socket, or exits, or
/// `timeout` passes.
pub async fn wait_ready(layout: &Layout, running: &Running, timeout: Duration) -> Result<(), MysqlError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if !running.is_alive() {
            return Err(MysqlError::Exited { during: "start-up", log: log_tail(layout) });
        }
        if super::sql::admin(layout).await.is_ok() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(MysqlError::NotReady(timeout));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_version_is_read_from_mariadbd() {
        let v =
            super::parse_version("/usr/sbin/mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64");
        assert_eq!(v.as_deref(), Some("10.11.19"));
    }
}
