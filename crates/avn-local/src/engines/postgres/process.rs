//! PostgreSQL binaries, the user they run as, and server processes.

use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::Signal;
use nix::unistd::Gid;
use nix::unistd::Uid;

use crate::engines::Layout;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("PostgreSQL server binaries not found: {0}")]
    NotInstalled(String),
    #[error("{tool} failed: {detail}")]
    Tool { tool: String, detail: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{context}: {source}")]
    System {
        context: String,
        #[source]
        source: nix::Error,
    },
    /// tokio-postgres says only "db error" in Display; the server's message is in the source.
    #[error("{}", crate::error::chain(.0))]
    Sql(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Conf(#[from] super::conf::UnwritableValue),
    #[error("cannot start postgres: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("postgres exited during {during}: {log}")]
    Exited { during: &'static str, log: String },
    #[error("postgres did not accept connections within {0:?}")]
    NotReady(Duration),
    #[error(
        "WAL segment {segment} was not archived within {timeout:?} (last archived {archived:?}, last failed {failed:?})"
    )]
    NotArchived { segment: String, timeout: Duration, archived: String, failed: String },
    #[error("TLS certificate: {0}")]
    Tls(String),
    #[error(
        "WAL segment {segment}, the last one a copy of the running service needs, did not reach its archive \
         within {timeout:?}; archiving is failing (the service's postgres.log says why)"
    )]
    NotInArchive { segment: String, timeout: Duration },
    #[error("fsync stayed off after a configuration reload")]
    FsyncStayedOff,
    #[error(transparent)]
    Archive(#[from] super::archive::ArchiveError),
    #[error("{0:?} is not a WAL segment name")]
    BadSegment(String),
    #[error("a worker thread failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("bad LSN {0:?}")]
    BadLsn(String),
}

impl ClusterError {
    /// The SQLSTATE of an error the server reported, if this is one.
    pub fn sqlstate(&self) -> Option<&tokio_postgres::error::SqlState> {
        match self {
            ClusterError::Sql(e) => e.code(),
            _ => None,
        }
    }
}

/// `PATH` of every child process: the archive and restore commands are shell lines that call
/// `cp`, `test` and the like.
pub const CHILD_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Clear a child's environment down to `PATH` and a locale: children of the control plane never
/// inherit its environment, which may hold `AIVEN_AUTH_TOKEN` or the local token.
pub fn clean_env(c: &mut std::process::Command) {
    c.env_clear().env("PATH", CHILD_PATH).env("LC_ALL", "C.UTF-8");
}

/// The nice value of background work (packing base backups, compressing WAL).
pub const BACKGROUND_NICE: i32 = 10;

/// Lower the calling thread's CPU priority to [`BACKGROUND_NICE`] (on Linux, the nice value
/// belongs to the thread). Only for threads that end with the background work.
pub fn nice_this_thread() {
    // SAFETY: a plain system call on the calling thread.
    unsafe {
        nix::libc::setpriority(nix::libc::PRIO_PROCESS, 0, BACKGROUND_NICE);
    }
}

/// The installed PostgreSQL and the user its processes run as.
#[derive(Debug, Clone)]
pub struct Pg {
    pub bindir: PathBuf,
    pub major: String,
    /// Set when running as root: the `postgres` user's ids.
    pub run_as: Option<(Uid, Gid)>,
}

impl Pg {
    /// Find the server binaries: `AVN_PG_BINDIR`, `pg_config --bindir`, or the highest
    /// `/usr/lib/postgresql/*/bin`.
    pub fn discover() -> Result<Pg, ClusterError> {
        let bindir = std::env::var_os("AVN_PG_BINDIR")
            .map(PathBuf::from)
            .or_else(|| {
                // Found on the caller's PATH, which is no secret; nothing else is passed on.
                let mut c = std::process::Command::new("pg_config");
                clean_env(&mut c);
                c.env("PATH", std::env::var_os("PATH").unwrap_or_else(|| CHILD_PATH.into()));
                c.arg("--bindir")
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
                    .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            })
            .filter(|d| d.join("initdb").exists())
            .or_else(|| {
                let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                    .ok()?
                    .flatten()
                    .map(|e| e.path().join("bin"))
                    .filter(|d| d.join("initdb").exists())
                    .collect();
                dirs.sort_by_key(|d| {
                    d.parent()
                        .and_then(|p| p.file_name())
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.parse::<u32>().ok())
                        .unwrap_or(0)
                });
                dirs.pop()
            })
            .ok_or_else(|| {
                ClusterError::NotInstalled(
                    "install PostgreSQL (Debian: apt-get install postgresql) or set AVN_PG_BINDIR".into(),
                )
            })?;
        let mut version = std::process::Command::new(bindir.join("postgres"));
        clean_env(&mut version);
        let out = version
            .arg("--version")
            .output()
            .map_err(|e| ClusterError::NotInstalled(format!("{}: {e}", bindir.display())))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let major = text
            .split_whitespace()
            .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .and_then(|v| v.split('.').next())
            .unwrap_or("15")
            .to_string();
        let run_as = if Uid::effective().is_root() {
            let u = nix::unistd::User::from_name("postgres")
                .map_err(|source| ClusterError::System { context: "cannot look up the postgres user".into(), source })?
                .ok_or_else(|| {
                    ClusterError::NotInstalled(
                        "running as root, but there is no 'postgres' user to run PostgreSQL as".into(),
                    )
                })?;
            Some((u.uid, u.gid))
        } else {
            None
        };
        Ok(Pg { bindir, major, run_as })
    }

    /// A command for a PostgreSQL tool, run as the server user, in its own process group, with a
    /// cleared environment plus what the tools need (see [`CHILD_PATH`]): nothing the control
    /// plane was given (an API token, `PG*` variables) reaches a server, or its archive and restore
    /// commands, which inherit the server's environment.
    fn command(&self, tool: &str) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(self.bindir.join(tool));
        if let Some((u, g)) = self.run_as {
            c.uid(u.as_raw()).gid(g.as_raw());
        }
        c.stdin(Stdio::null()).process_group(0);
        clean_env(c.as_std_mut());
        c
    }

    /// Run a tool to completion; its stderr becomes the error.
    pub async fn run(&self, tool: &str, args: &[&str]) -> Result<(), ClusterError> {
        let mut c = self.command(tool);
        c.args(args);
        die_with_parent(&mut c);
        run_captured(tool, c).await
    }

    /// Give a path to the server user (no-op when not root).
    pub fn chown(&self, p: &Path) -> Result<(), ClusterError> {
        if let Some((u, g)) = self.run_as {
            nix::unistd::chown(p, Some(u), Some(g))
                .map_err(|source| ClusterError::System { context: format!("chown {}", p.display()), source })?;
        }
        Ok(())
    }

    /// Give an open file to the server user (before it is renamed into place).
    pub fn fchown(&self, f: &std::fs::File) -> std::io::Result<()> {
        match self.run_as {
            Some((u, g)) => nix::unistd::fchown(f, Some(u), Some(g)).map_err(std::io::Error::from),
            None => Ok(()),
        }
    }

    /// Create a directory owned by the server user, mode 0700.
    pub fn private_dir(&self, p: &Path) -> Result<(), ClusterError> {
        std::fs::create_dir_all(p)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700))?;
        self.chown(p)
    }

    /// Spawn `postgres -D data` with its log appended to the instance log.
    pub fn spawn(&self, layout: &Layout) -> Result<Running, ClusterError> {
        let log = private_log(&layout.log())?;
        let mut c = self.command("postgres");
        c.arg("-D").arg(layout.data()).stdout(log.try_clone()?).stderr(log).kill_on_drop(false);
        let child = c.spawn().map_err(ClusterError::Spawn)?;
        Ok(Running::child(child, super::running::STOP))
    }
}

pub async fn run_captured(tool: &str, mut c: tokio::process::Command) -> Result<(), ClusterError> {
    let out = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(|e| ClusterError::Tool { tool: tool.into(), detail: e.to_string() })?;
    if out.status.success() {
        return Ok(());
    }
    let mut detail = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if detail.is_empty() {
        detail = String::from_utf8_lossy(&out.stdout).trim().to_string();
    }
    Err(ClusterError::Tool { tool: tool.into(), detail: format!("{} ({})", bounded(&detail), out.status) })
}

/// The first lines of a tool's output and how many more there were: a failed `cp` on a full disk
/// prints a line per file, which must not become a megabyte-long error or notification.
pub fn bounded(text: &str) -> String {
    const LINES: usize = 3;
    const WIDTH: usize = 300;
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines
        .iter()
        .take(LINES)
        .map(|l| {
            if l.chars().count() > WIDTH {
                format!("{}…", l.chars().take(WIDTH).collect::<String>())
            } else {
                l.to_string()
            }
        })
        .collect();
    if lines.len() > LINES {
        out.push(format!("(and {} more lines)", lines.len() - LINES));
    }
    out.join("\n")
}

/// Have the kernel kill this child when the control plane dies (Linux `PR_SET_PDEATHSIG`):
/// tools are redone after a restart, while servers (spawned without this) are adopted.
pub fn die_with_parent(c: &mut tokio::process::Command) {
    // SAFETY: the closure runs between fork and exec and makes one async-signal-safe prctl call.
    unsafe {
        c.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)?;
            Ok(())
        });
    }
}

pub use crate::engines::running::private_log;
pub use crate::engines::running::Running;

#[cfg(test)]
mod bounded_tests {
    #[test]
    fn long_tool_output_is_cut_to_its_first_lines_and_a_count() {
        let text: String =
            (0..1048).map(|i| format!("cp: cannot create regular file 'f{i}': No space left on device\n")).collect();
        let b = super::bounded(&text);
        assert!(b.lines().count() == 4 && b.ends_with("(and 1045 more lines)"), "{b}");
        assert!(b.len() < 400);
        assert_eq!(super::bounded("one line"), "one line");
    }
}
