//! The arguments of `avn local gc`.

use std::path::PathBuf;

use clap::Args;

/// Remove what the local control plane set aside and no service needs
#[derive(Debug, Args)]
#[command(long_about = "Remove what the local control plane set aside and no service needs.\n\n\
    --orphaned: instance directories that belonged to no known service when the control plane \
    started (after a crash mid-create, or a state store restored from elsewhere) are moved to \
    instances-orphaned/ beside the instances, never removed by the control plane itself. This \
    lists them with the disk each takes and, after a confirmation (or --yes), removes them. A \
    directory a PostgreSQL server still runs from is kept. `avn local status` shows their total.\n\n\
    Examples:\n  avn local gc --orphaned --dry-run\n  avn local gc --orphaned --yes --json")]
pub struct GcArgs {
    /// Remove the instance directories moved aside to instances-orphaned/
    #[arg(long)]
    pub orphaned: bool,
    /// List what would be removed, remove nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Remove without asking
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Use the control plane whose data is in this directory
    #[arg(long, value_name = "DIR", env = "AVN_LOCAL_DIR", hide_env_values = true)]
    pub data_dir: Option<PathBuf>,
}
