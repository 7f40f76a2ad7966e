//! The arguments of `avn service get`.

use clap::Args;

/// Show one service
#[derive(Debug, Args)]
#[command(long_about = "Show one service. Node progress (phase and percentage) is shown while the \
    service is being built or restored; -v adds the connection URI (password masked unless \
    --show-secrets), disk, configuration, databases and users.\n\n\
    Examples:\n  avn service get db1\n  avn service get db1 -v\n  avn service get db1 --json --show-secrets")]
pub struct GetArgs {
    /// Show this service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// Write the service's URI to this env file as VAR=URI (default DATABASE_URL); with -, print
    /// only the VAR=URI line on stdout (for >> "$GITHUB_ENV")
    #[arg(long, value_name = "FILE[:VAR]", value_parser = crate::parse_env_file, allow_hyphen_values = true)]
    pub env_file: Option<crate::parse::EnvFile>,
}
