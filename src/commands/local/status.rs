use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use serde_json::Value;

use crate::context::Context;
use crate::local_state;

/// Show the local control plane, its services and their processes
#[derive(Debug, Args)]
#[command(long_about = "Show the local control plane: its URL, data directory, whether avn uses \
    it, and each service with its state, port and PostgreSQL process, and what start-up set aside \
    (orphaned instance directories; `avn local gc --orphaned` removes them).\n\n\
    Examples:\n  avn local status\n  avn local status --json")]
pub struct StatusArgs {
    /// Use the control plane whose data is in this directory
    #[arg(long, value_name = "DIR", env = "AVN_LOCAL_DIR", hide_env_values = true)]
    pub data_dir: Option<PathBuf>,
}

/// The postmaster pid serving `port`, from the instances' postmaster.pid files.
fn pid_for_port(data_dir: &std::path::Path, port: &str) -> Option<u32> {
    let rd = std::fs::read_dir(data_dir.join("instances")).ok()?;
    for e in rd.flatten() {
        let Ok(text) = std::fs::read_to_string(e.path().join("data").join("postmaster.pid")) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        if lines.get(3).map(|l| l.trim()) == Some(port) {
            let pid: u32 = lines.first()?.trim().parse().ok()?;
            if local_state::alive(pid) {
                return Some(pid);
            }
        }
    }
    None
}

pub async fn run(ctx: &Context<'_>, args: StatusArgs) -> anyhow::Result<()> {
    let data_dir = super::data_dir(args.data_dir, ctx);
    let info = local_state::server_info(&data_dir).filter(|i| local_state::alive(i.pid));
    let active = local_state::active(&ctx.settings.config_dir).is_some_and(|a| a.data_dir == data_dir);
    let mut services = Vec::new();
    if let Some(i) = &info {
        let client = ctx.local_client(&i.url, local_state::token(&data_dir))?;
        for project in client.project_list().await? {
            for s in client.service_list(&project.project_name).await? {
                let port = s
                    .service_uri_params
                    .as_ref()
                    .and_then(|p| p.get("port"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                services.push(json!({
                    "project": project.project_name, "service_name": s.service_name, "state": s.state.to_string(),
                    "plan": s.plan, "port": port, "pid": pid_for_port(&data_dir, &port),
                }));
            }
        }
    }
    let copy = avn_local::copy_method(&data_dir);
    let orphans = avn_local::orphans(&data_dir);
    let orphaned_bytes: u64 = orphans.iter().map(|o| o.bytes).sum();
    let whole = json!({
        "orphaned": {"path": avn_local::orphaned_location(&data_dir), "directories": orphans.len(), "bytes": orphaned_bytes},
        "copy_method": copy.map(|c| c.0),
        "running": info.is_some(), "url": info.as_ref().map(|i| i.url.clone()), "pid": info.as_ref().map(|i| i.pid),
        "data_dir": data_dir, "instances": avn_local::instances_location(&data_dir), "active": active, "services": services,
    });
    if ctx.printer.json_mode() {
        return Ok(ctx.printer.print_json(whole)?);
    }
    let p = ctx.printer;
    match &info {
        Some(i) => p.line(&format!("Local control plane: running at {} (pid {})", i.url, i.pid))?,
        None => p.line("Local control plane: not running (start it with `avn local up`)")?,
    }
    p.line(&format!("Data directory: {}", data_dir.display()))?;
    p.line(&format!("Used by avn: {}", if active { "yes" } else { "no" }))?;
    if let Some((_, about)) = copy {
        p.line(&format!("Copies (forks, backups): {about}"))?;
    }
    if !orphans.is_empty() {
        p.line(&format!(
            "Set aside: {} orphaned instance director{} ({}) in {}; remove with `avn local gc --orphaned`",
            orphans.len(),
            if orphans.len() == 1 { "y" } else { "ies" },
            crate::output::human_bytes(orphaned_bytes),
            avn_local::orphaned_location(&data_dir).display()
        ))?;
    }
    if !services.is_empty() {
        p.line("")?;
        p.emit(Value::Null, &services, &["project", "service_name", "state", "plan", "port", "pid"])?;
    }
    Ok(())
}
