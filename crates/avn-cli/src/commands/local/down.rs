//! The arguments of `avn local down`.

use std::path::PathBuf;

use clap::Args;

/// Stop the local control plane and every service process
#[derive(Debug, Args)]
#[command(long_about = "Stop every service process and the local control plane, and switch avn \
    back to the API it used before. Data is kept (services come back with `avn local up`) unless \
    --purge is given.\n\n\
    Examples:\n  avn local down\n  avn local down --purge")]
pub struct DownArgs {
    /// Also delete every local service and its data
    #[arg(long)]
    pub purge: bool,
    /// Use the control plane whose data is in this directory
    #[arg(long, value_name = "DIR", env = "AVN_LOCAL_DIR", hide_env_values = true)]
    pub data_dir: Option<PathBuf>,
}
