//! The arguments of `avn service plans`.

use clap::Args;

/// List service plans
#[derive(Debug, Args)]
#[command(long_about = "List service plans: node count, backups and whether they support \
    point-in-time recovery (backup_config.recovery_mode), which decides whether services on the \
    plan can be forked and restored to an instant, and the hourly price in USD (for the cloud given \
    with --cloud, else the range over the clouds that offer the plan). Without -t, every type's \
    plans. --json prints the API's service-type catalog, as the official client does.\n\n\
    Examples:\n  avn service plans -t pg\n  avn service plans -t pg --cloud google-europe-west1\n  \
    avn service plans --json")]
pub struct PlansArgs {
    /// List the plans of this service type (default: every type)
    #[arg(short = 't', long = "service-type", value_name = "TYPE", value_parser = crate::ServiceTypeValue, hide_possible_values = true)]
    pub service_type: Option<String>,
    /// Show only plans offered in this cloud, with their disk and price there
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,
}
