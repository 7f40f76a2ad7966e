//! The arguments of `avn service update`.

use clap::Args;

/// Change a service's plan, power, protection or configuration
#[derive(Debug, Args)]
#[command(long_about = "Change a service: power it off or on, its termination protection, plan, \
    disk, cloud or configuration options.\n\n\
    Examples:\n  avn service update db1 --power-off\n  avn service update db1 --disable-termination-protection\n  \
    avn service update db1 -p business-4 -c pg.max_connections=300")]
pub struct UpdateArgs {
    /// Update this service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// Power the service on
    #[arg(long, conflicts_with = "power_off")]
    pub power_on: bool,
    /// Power the service off (data is kept)
    #[arg(long)]
    pub power_off: bool,
    /// Protect the service against termination and powering off
    #[arg(long, conflicts_with = "disable_termination_protection")]
    pub enable_termination_protection: bool,
    /// Allow the service to be terminated
    #[arg(long)]
    pub disable_termination_protection: bool,
    /// Set a configuration option, typed by the schema (can be repeated)
    #[arg(short = 'c', value_name = "KEY=VALUE")]
    pub config_option: Vec<String>,
    /// Remove a configuration option (can be repeated)
    #[arg(long, value_name = "KEY")]
    pub remove_option: Vec<String>,
    /// Move the service to this plan
    #[arg(short = 'p', long, value_name = "PLAN")]
    pub plan: Option<String>,
    /// Give the service this much disk (GiB)
    #[arg(long, value_name = "GIB")]
    pub disk_space_gib: Option<u64>,
    /// Move the service to this cloud
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,
    /// Skip confirmations (accepted for compatibility)
    #[arg(short, long)]
    pub force: bool,
    #[command(flatten)]
    pub expiry: crate::ExpiryArgs,
    /// Remove the service's expiry (the avn_expires_at tag)
    #[arg(long, conflicts_with_all = ["expires_in", "expires_at"], help_heading = "Expiry")]
    pub no_expiry: bool,
}
