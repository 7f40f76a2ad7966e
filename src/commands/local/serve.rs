use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use avn_local::LocalDir;

use crate::context::Context;
use crate::error::CliError;

/// Run the local control plane in the foreground
#[derive(Debug, Args)]
#[command(long_about = "Run the local control plane in the foreground (for tests and service managers).\n\n\
    It serves the Aiven v1 API on a loopback address and runs each service as a real PostgreSQL \
    cluster. Ctrl-C or SIGTERM stops every cluster, then the server. The API token is in \
    <data-dir>/token.\n\n\
    Examples:\n  avn local serve\n  avn local serve --listen 127.0.0.1:41300 --data-dir /srv/avn-local")]
pub struct ServeArgs {
    /// Listen on this loopback address (port 0 picks a free one)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Keep state and clusters in this directory
    #[arg(long, value_name = "DIR", env = "AVN_LOCAL_DIR", hide_env_values = true)]
    pub data_dir: Option<PathBuf>,
    /// Take a base backup of each service this often: seconds, or units like 10m
    #[arg(long, value_name = "DURATION", env = "AVN_LOCAL_BACKUP_INTERVAL", hide_env_values = true, default_value = "1h", value_parser = crate::cli::parse_duration)]
    pub backup_interval: Duration,
}

pub async fn run(ctx: &Context<'_>, args: ServeArgs) -> anyhow::Result<()> {
    // -v shows the server's debug log too.
    let level = if ctx.printer.verbosity() > 0 {
        tracing_subscriber::filter::LevelFilter::DEBUG
    } else {
        tracing_subscriber::filter::LevelFilter::INFO
    };
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).with_max_level(level).try_init();
    if !args.listen.ip().is_loopback() {
        return Err(CliError::usage(format!(
            "refusing to listen on {}: use a loopback address such as 127.0.0.1",
            args.listen
        ))
        .into());
    }
    let data_dir = args.data_dir.unwrap_or_else(crate::dirs::local_data_dir);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    // One server per data directory, for this process's lifetime; taken before server.json is
    // written, so a second server never overwrites the first one's.
    let dir = LocalDir::new(&data_dir);
    let _lock = dir.lock().map_err(CliError::failed_because)?;
    dir.ensure_token().map_err(CliError::failed_because)?;
    let info = avn_local::ServerRecord { pid: std::process::id(), url: format!("http://{addr}") };
    dir.write_server(&info).map_err(CliError::failed_because)?;
    let shutdown = async {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    };
    let cfg = avn_local::ServeConfig { data_dir: data_dir.clone(), backup_interval: args.backup_interval };
    let result = avn_local::serve(listener, cfg, shutdown).await;
    dir.forget_server(Some(std::process::id()));
    result.map_err(|e| {
        let mut err = CliError::failed(format!("the local control plane failed: {e}"));
        if matches!(e, avn_local::Error::Pg(_)) {
            err = err.hint(
                "install PostgreSQL (Debian: apt-get install postgresql), or point AVN_PG_BINDIR at its bin directory",
            );
        }
        err.because(e).into()
    })
}
