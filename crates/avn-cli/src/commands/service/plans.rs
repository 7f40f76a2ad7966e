//! The arguments of `avn service plans`.

use clap::Args;

/// List service plans
#[derive(Debug, Args)]
#[command(long_about = "List service plans as the official client does, grouped under each type's \
    heading: `    pg:startup-4   $0.000/h  Startup-4 (1 CPU, 1 GB RAM, 80 GB disk)`, priced in the cloud \
    given with --cloud (else the project's default cloud, which stderr names; the official client \
    lists no plans without --cloud). -v adds, after that listing, a table of what forks need: backups, \
    whether the plan supports point-in-time recovery (backup_config.recovery_mode) and so can be \
    forked and restored to an instant. Without -t, every type's plans. --json prints the API's \
    service-type catalog, as the official client does.\n\n\
    Examples:\n  avn service plans -t pg --cloud google-europe-west1\n  avn service plans -t pg --monthly\n  \
    avn service plans -t pg -v\n  avn service plans --json")]
pub struct PlansArgs {
    /// List the plans of this service type (default: every type)
    #[arg(short = 't', long = "service-type", value_name = "TYPE", value_parser = crate::ServiceTypeValue, hide_possible_values = true)]
    pub service_type: Option<String>,
    /// Show only plans offered in this cloud, with their disk and price there
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,
    /// Show monthly prices (730 hours) instead of hourly ones
    #[arg(long)]
    pub monthly: bool,
}
