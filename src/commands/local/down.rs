use std::time::Duration;

use anyhow::Context as _;

use avn_local::LocalDir;

use crate::context::Context;
use crate::error::CliError;
use crate::local_state;

pub use avn_cli::commands::local::down::DownArgs;

pub async fn run(ctx: &Context<'_>, args: DownArgs) -> anyhow::Result<()> {
    let data_dir = super::data_dir(args.data_dir, ctx);
    let p = ctx.printer;
    let info = LocalDir::new(&data_dir).server().filter(|i| local_state::alive(i.pid));
    if let Some(stale) = info.as_ref().filter(|i| !LocalDir::new(&data_dir).is_server_of(i.pid)) {
        p.warn(&format!(
            "server.json names pid {}, which is not this directory's server (it does not hold its lock); it was not signalled",
            stale.pid
        ));
    }
    match info.filter(|i| LocalDir::new(&data_dir).is_server_of(i.pid)) {
        Some(info) => {
            p.info(&format!("Stopping the local control plane at {} (pid {})...", info.url, info.pid));
            let pid = nix::unistd::Pid::from_raw(info.pid as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let every = Duration::from_millis(50);
            let stopped = avn_util::wait::until("the control plane to stop", Duration::from_secs(120), every, || {
                std::future::ready((!local_state::alive(info.pid)).then_some(()))
            });
            if stopped.await.is_err() {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                p.warn("the control plane did not stop within 120s and was killed");
            }
            let orphans = LocalDir::new(&data_dir).stop_orphans().await;
            if orphans > 0 {
                p.warn(&format!("stopped {orphans} PostgreSQL process(es) left behind"));
            }
            p.info("Stopped");
        }
        None => {
            let n = LocalDir::new(&data_dir).stop_orphans().await;
            if n > 0 {
                p.info(&format!(
                    "The control plane was not running; stopped {n} PostgreSQL process(es) it left behind"
                ));
            } else {
                p.info("The local control plane is not running");
            }
        }
    }
    LocalDir::new(&data_dir).forget_server(None);
    if local_state::active(&ctx.settings.config_dir).is_some_and(|a| a.data_dir == data_dir) {
        std::fs::remove_file(local_state::active_path(&ctx.settings.config_dir))
            .context("cannot remove avn-local.json")?;
        p.info("avn no longer uses the local control plane");
    }
    if args.purge {
        let instances = LocalDir::new(&data_dir).instances();
        for d in [instances, data_dir.clone()] {
            match std::fs::remove_dir_all(&d) {
                Ok(()) => p.info(&format!("Removed {}", d.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(CliError::failed(format!("cannot remove {}: {e}", d.display())).into()),
            }
        }
    }
    Ok(())
}
