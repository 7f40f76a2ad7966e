//! PostgreSQL's server processes: found through `postmaster.pid`, and stopped the way
//! PostgreSQL documents (fast shutdown, then immediate, then SIGKILL).

use std::path::Path;

use nix::sys::signal::kill;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::engines::running::Running;
use crate::engines::running::StopSteps;

/// Fast shutdown (SIGINT), then immediate (SIGQUIT) and SIGKILL if it will not stop.
pub const STOP: StopSteps = &[(Signal::SIGINT, 30), (Signal::SIGQUIT, 10), (Signal::SIGKILL, 10)];

/// Adopt a live postmaster found through `data/postmaster.pid`.
pub fn adopt(data: &Path) -> Option<Running> {
    live_postmaster(data).map(|pid| Running::adopted(pid, STOP))
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
