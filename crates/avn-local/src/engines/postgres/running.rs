//! Server processes the control plane owns: spawned or adopted postmasters ([`Running`]), found
//! through their `postmaster.pid`, stopped in steps; and the leftovers of a crashed try, killed.

use std::path::Path;
use std::time::Duration;

use nix::sys::signal::kill;
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use tokio::sync::watch;

/// Kill every process still working in `dir` (its working directory or its command line is
/// there), and wait a bounded while until they are gone. After a `kill -9` of the control
/// plane, a tool it ran dies with it, but not that tool's own children: `initdb`'s bootstrap
/// `postgres` goes on writing into the data directory a redo is about to create again.
pub async fn kill_leftovers(dir: &Path) {
    let needle = dir.to_string_lossy().to_string();
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let find = || -> Vec<i32> {
        let Ok(rd) = std::fs::read_dir("/proc") else { return vec![] };
        rd.flatten()
            .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
            .filter(|pid| *pid != std::process::id() as i32)
            .filter(|pid| {
                let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
                let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                cwd.is_some_and(|c| c.starts_with(dir) || c.starts_with(&real))
                    || String::from_utf8_lossy(&cmd).contains(&needle)
            })
            .filter(|pid| process_alive(*pid))
            .collect()
    };
    // Killed until none is left: a dying server's children may fork once more.
    let _ = avn_util::wait::until(
        "leftover processes to be gone",
        Duration::from_secs(5),
        Duration::from_millis(100),
        || {
            let pids = find();
            for pid in &pids {
                tracing::warn!(pid, dir = %dir.display(), "a process left from before still works here: killed");
                let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
            }
            std::future::ready(pids.is_empty().then_some(()))
        },
    )
    .await;
}

/// The pid and port a postmaster recorded in `data/postmaster.pid` (lines 1 and 4), if any.
pub fn postmaster_port(data: &Path) -> Option<(u32, u16)> {
    let text = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    Some((lines.first()?.trim().parse().ok()?, lines.get(3)?.trim().parse().ok()?))
}

/// The pid of a live postmaster running from `data`, through its `postmaster.pid`.
pub fn live_postmaster(data: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let cmd = String::from_utf8_lossy(&cmdline);
    if !cmd.contains("postgres") || !cmd.contains(&*data.to_string_lossy()) {
        return None;
    }
    kill(Pid::from_raw(pid), None).ok()?;
    Some(pid)
}

/// A server process: spawned by us, or adopted after a restart of the control plane.
#[derive(Debug, Clone)]
pub struct Running {
    pub pid: i32,
    pub exited: watch::Receiver<bool>,
}

impl Running {
    /// Adopt a live postmaster found through `postmaster.pid`.
    pub fn adopt(data: &Path) -> Option<Running> {
        let pid = live_postmaster(data)?;
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            while process_alive(pid) {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            let _ = tx.send(true);
        });
        Some(Running { pid, exited: rx })
    }

    pub fn is_alive(&self) -> bool {
        !*self.exited.borrow()
    }

    /// Fast shutdown (SIGINT), then immediate (SIGQUIT) and SIGKILL if it will not stop.
    pub async fn stop(&mut self) {
        for (sig, wait) in [(Signal::SIGINT, 30), (Signal::SIGQUIT, 10), (Signal::SIGKILL, 10)] {
            if !self.is_alive() {
                return;
            }
            let _ = kill(Pid::from_raw(self.pid), sig);
            let _ = tokio::time::timeout(Duration::from_secs(wait), self.exited.wait_for(|gone| *gone)).await;
        }
    }
}

/// Open a log for appending, 0600 from its creation (and made 0600 if it existed wider): logs
/// can hold connection details.
pub fn private_log(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::fs::PermissionsExt;
    let f = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(f)
}

/// Whether a process is alive (and not a zombie waiting to be reaped).
pub fn process_alive(pid: i32) -> bool {
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
        .unwrap_or(true);
    kill(Pid::from_raw(pid), None).is_ok() && !zombie
}
