//! The arguments of `avn local status`.

use std::path::PathBuf;

use clap::Args;

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
