//! The arguments of `avn service update`.

use clap::Args;

/// `HH:MM:SS`, a time of day.
fn maintenance_time(s: &str) -> Result<String, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let ok = parts.len() == 3
        && parts.iter().all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[0] < "24"
        && parts[1] < "60"
        && parts[2] < "60";
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not a time of day as HH:MM:SS (UTC), such as 03:30:00"))
    }
}

/// Change a service's plan, power, protection or configuration
#[derive(Debug, Args)]
#[command(long_about = "Change a service: power it off or on, its termination protection, plan, \
    disk, cloud or configuration options.\n\n\
    Examples:\n  avn service update db1 --power-off\n  avn service update db1 --disable-termination-protection\n  \
    avn service update db1 -p business-4 -c pg.max_connections=300\n  \
    avn service update db1 --maintenance-dow sunday --maintenance-time 03:00:00")]
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
    /// Day of week of the automatic maintenance window
    #[arg(long, value_name = "DAY", value_parser = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])]
    pub maintenance_dow: Option<String>,
    /// Start time (UTC) of the automatic maintenance window
    #[arg(long, value_name = "HH:MM:SS", value_parser = maintenance_time)]
    pub maintenance_time: Option<String>,
    /// Skip confirmations (accepted for compatibility)
    #[arg(short, long)]
    pub force: bool,
    #[command(flatten)]
    pub expiry: crate::ExpiryArgs,
    /// Remove the service's expiry (the avn_expires_at tag)
    #[arg(long, conflicts_with_all = ["expires_in", "expires_at"], help_heading = "Expiry")]
    pub no_expiry: bool,
}
