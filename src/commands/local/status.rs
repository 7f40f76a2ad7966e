use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use avn_local::LocalDir;

use crate::context::Context;
use crate::local_state;

pub use avn_cli::commands::local::status::StatusArgs;

/// `--json`: the control plane, what it set aside, and its services.
#[derive(Debug, Serialize)]
struct Status<'a> {
    orphaned: Orphaned,
    copy_method: Option<&'static str>,
    running: bool,
    url: Option<String>,
    pid: Option<u32>,
    data_dir: PathBuf,
    instances: PathBuf,
    active: bool,
    services: &'a [Value],
}

#[derive(Debug, Serialize)]
struct Orphaned {
    path: PathBuf,
    directories: usize,
    bytes: u64,
}

/// One service: a row of the table, an element of `services` in `--json`.
#[derive(Debug, Serialize)]
struct ServiceLine {
    project: String,
    service_name: String,
    state: String,
    plan: String,
    port: String,
    pid: Option<u32>,
}

pub async fn run(ctx: &Context<'_>, args: StatusArgs) -> anyhow::Result<()> {
    let data_dir = super::data_dir(args.data_dir, ctx);
    let dir = LocalDir::new(&data_dir);
    let info = dir.server().filter(|i| local_state::alive(i.pid));
    let active = local_state::active(&ctx.settings.config_dir).is_some_and(|a| a.data_dir == data_dir);
    let mut services = Vec::new();
    if let Some(i) = &info {
        let client = ctx.local_client(&i.url, dir.token())?;
        for project in client.project_list().await? {
            for s in client.service_list(&project.project_name).await? {
                let port = s
                    .service_uri_params
                    .as_ref()
                    .and_then(|p| p.get("port"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let pid = port.parse().ok().and_then(|p| dir.server_pid_for_port(p));
                services.push(ServiceLine {
                    project: project.project_name.clone(),
                    service_name: s.service_name,
                    state: s.state.to_string(),
                    plan: s.plan,
                    port,
                    pid,
                });
            }
        }
    }
    let copy = dir.copy_method();
    let orphans = dir.orphans();
    let orphaned_bytes: u64 = orphans.iter().map(|o| o.bytes).sum();
    let services: Vec<Value> = services.iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
    if ctx.printer.json_mode() {
        let whole = Status {
            orphaned: Orphaned { path: dir.orphaned(), directories: orphans.len(), bytes: orphaned_bytes },
            copy_method: copy.map(|c| c.0),
            running: info.is_some(),
            url: info.as_ref().map(|i| i.url.clone()),
            pid: info.as_ref().map(|i| i.pid),
            data_dir: data_dir.clone(),
            instances: dir.instances(),
            active,
            services: &services,
        };
        return Ok(ctx.printer.print_json(serde_json::to_value(whole)?)?);
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
            dir.orphaned().display()
        ))?;
    }
    if !services.is_empty() {
        p.line("")?;
        p.emit(Value::Null, &services, &["project", "service_name", "state", "plan", "port", "pid"])?;
    }
    Ok(())
}
