//! The arguments of `avn local serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

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
    #[arg(long, value_name = "DURATION", env = "AVN_LOCAL_BACKUP_INTERVAL", hide_env_values = true, default_value = "1h", value_parser = crate::parse_duration)]
    pub backup_interval: Duration,
}
