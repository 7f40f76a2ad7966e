//! Server processes the control plane owns, whatever the engine: spawned or adopted servers
//! ([`Running`]) stopped in their engine's steps, the leftovers of a crashed try killed, private
//! logs, and whether a process lives.

use std::path::Path;
use std::time::Duration;

use nix::sys::signal::kill;
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use tokio::sync::watch;

/// How a server is stopped: each signal, then how long to wait for it to exit (seconds).
pub type StopSteps = &'static [(Signal, u64)];

/// A server process: spawned by us, or adopted after a restart of the control plane.
#[derive(Debug, Clone)]
pub struct Running {
    pub pid: i32,
    pub exited: watch::Receiver<bool>,
    /// How its engine stops it.
    pub stop_steps: StopSteps,
}

impl Running {
    /// A server spawned by us; `exited` turns true when the child has been reaped.
    pub fn spawned(pid: i32, exited: watch::Receiver<bool>, stop_steps: StopSteps) -> Running {
        Running { pid, exited, stop_steps }
    }

    /// A child we just spawned, reaped (and reported exited) when it ends.
    pub fn child(mut child: tokio::process::Child, stop_steps: StopSteps) -> Running {
        let pid = child.id().unwrap_or(0) as i32;
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            let _ = child.wait().await;
            let _ = tx.send(true);
        });
        Running::spawned(pid, rx, stop_steps)
    }

    /// Adopt a live server process we did not spawn (found through its pid file after a restart
    /// of the control plane): it is watched until it exits.
    pub fn adopted(pid: i32, stop_steps: StopSteps) -> Running {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            while process_alive(pid) {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            let _ = tx.send(true);
        });
        Running { pid, exited: rx, stop_steps }
    }

    pub fn is_alive(&self) -> bool {
        !*self.exited.borrow()
    }

    /// Stop it in its engine's steps: each signal, then a wait for the exit.
    pub async fn stop(&mut self) {
        for &(sig, wait) in self.stop_steps {
            if !self.is_alive() {
                return;
            }
            let _ = kill(Pid::from_raw(self.pid), sig);
            let _ = tokio::time::timeout(Duration::from_secs(wait), self.exited.wait_for(|gone| *gone)).await;
        }
    }
}

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
