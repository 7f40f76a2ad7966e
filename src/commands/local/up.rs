use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;

use avn_local::LocalDir;

use crate::cli::GlobalArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::local_state;

/// The port tried first when none is given (a free one is used when it is taken).
pub const DEFAULT_PORT: u16 = 41300;

pub use avn_cli::commands::local::up::UpArgs;

async fn answers(ctx: &Context<'_>, url: &str, token: Option<String>) -> bool {
    match ctx.local_client(url, token) {
        Ok(c) => c.project_list().await.is_ok(),
        Err(_) => false,
    }
}

fn log_tail(data_dir: &Path) -> String {
    let text = std::fs::read_to_string(LocalDir::new(data_dir).log_path()).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

/// Start `avn local serve` detached, logging to `<data-dir>/server.log`; return its URL.
async fn start(
    ctx: &Context<'_>,
    data_dir: &Path,
    port: Option<u16>,
    previous: Option<&str>,
) -> anyhow::Result<String> {
    avn_local::Pg::discover().map_err(|e| {
        CliError::failed(format!("cannot start the local control plane: {e}"))
            .hint(
                "install PostgreSQL (Debian: apt-get install postgresql), or point AVN_PG_BINDIR at its bin directory",
            )
            .because(e)
    })?;
    let wanted = port
        .or_else(|| previous.and_then(|u| u.rsplit(':').next()).and_then(|p| p.parse().ok()))
        .unwrap_or(DEFAULT_PORT);
    let port = match std::net::TcpListener::bind(("127.0.0.1", wanted)) {
        Ok(_) => wanted,
        Err(_) if port.is_some() => {
            return Err(CliError::usage(format!("port {wanted} on 127.0.0.1 is in use"))
                .hint("choose another with --port, or leave it out")
                .into())
        }
        Err(_) => 0,
    };
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let log = avn_local::private_log(&LocalDir::new(data_dir).log_path())?;
    let exe = std::env::current_exe().context("cannot find the avn executable")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["local", "serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data_dir)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().context("cannot start `avn local serve`")?;
    let deadline = avn_util::wait::Deadline::after(Duration::from_secs(60));
    loop {
        if let Some(status) = child.try_wait()? {
            // Another `avn local up` started a server on this directory first: attach to it.
            if let Some(info) = LocalDir::new(data_dir).server().filter(|i| LocalDir::new(data_dir).is_server_of(i.pid))
            {
                if answers(ctx, &info.url, LocalDir::new(data_dir).token()).await {
                    return Ok(info.url);
                }
            }
            if !deadline.passed() && LocalDir::new(data_dir).is_locked() {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            return Err(CliError::failed(format!("the local control plane exited ({status})"))
                .hint(format!("its log ({}):\n{}", LocalDir::new(data_dir).log_path().display(), log_tail(data_dir)))
                .into());
        }
        if let Some(info) = LocalDir::new(data_dir).server().filter(|i| i.pid == child.id()) {
            if answers(ctx, &info.url, LocalDir::new(data_dir).token()).await {
                return Ok(info.url);
            }
        }
        if deadline.passed() {
            let _ = child.kill();
            return Err(CliError::failed("the local control plane did not answer within 60s")
                .hint(format!("its log: {}", LocalDir::new(data_dir).log_path().display()))
                .into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Make sure a local control plane runs on `data_dir`; return its URL and whether it was started now.
pub async fn ensure_running(ctx: &Context<'_>, data_dir: &Path, port: Option<u16>) -> anyhow::Result<(String, bool)> {
    let info = LocalDir::new(data_dir).server();
    if let Some(i) = &info {
        if local_state::alive(i.pid) && answers(ctx, &i.url, LocalDir::new(data_dir).token()).await {
            if let Some(p) = port.filter(|p| !i.url.ends_with(&format!(":{p}"))) {
                return Err(CliError::usage(format!(
                    "the local control plane already runs at {} (not port {p})",
                    i.url
                ))
                .hint("stop it first with `avn local down`")
                .into());
            }
            return Ok((i.url.clone(), false));
        }
    }
    Ok((start(ctx, data_dir, port, info.as_ref().map(|i| i.url.as_str())).await?, true))
}

pub async fn run(ctx: &Context<'_>, global: &GlobalArgs, args: UpArgs) -> anyhow::Result<()> {
    let data_dir = super::data_dir(args.data_dir, ctx);
    let data_dir = std::path::absolute(&data_dir).unwrap_or(data_dir);
    let (url, started) = ensure_running(ctx, &data_dir, args.port).await?;
    let token = LocalDir::new(&data_dir).token().context("the local control plane wrote no token")?;
    let project = global.project.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "local".to_string());
    let client = ctx.local_client(&url, Some(token.clone()))?;
    if let Err(e) = client.project_create(&project).await {
        if !e.is_conflict() {
            return Err(anyhow::Error::new(e).context(format!("cannot create project '{project}'")));
        }
    }
    local_state::write_active(
        &ctx.settings.config_dir,
        &local_state::Active { url: url.clone(), data_dir: data_dir.clone(), project: project.clone() },
    )?;
    let p = ctx.printer;
    p.info(&format!(
        "Local control plane {} at {url} (data in {})",
        if started { "started" } else { "running" },
        data_dir.display()
    ));
    p.info(&format!("avn now uses it, in project '{project}'; `avn local down` stops it and switches back"));
    if ctx.settings.credentials.get_str("auth_token").is_some() {
        p.info("your Aiven login is kept; commands given --url or AIVEN_WEB_URL still use it");
    }
    if args.print_env {
        p.line(&format!(
            "export AIVEN_WEB_URL={url}\nexport AIVEN_AUTH_TOKEN={token}\nexport AIVEN_PROJECT={project}"
        ))?;
    }
    Ok(())
}
