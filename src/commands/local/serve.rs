use anyhow::Context as _;

use avn_local::LocalDir;

use crate::context::Context;
use crate::error::CliError;

pub use avn_cli::commands::local::serve::ServeArgs;

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
