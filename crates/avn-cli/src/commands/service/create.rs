//! The arguments of `avn service create`.

use std::time::Duration;

use clap::Args;

/// Create a service, or a fork of one
#[derive(Debug, Args)]
#[command(long_about = "Create a service, or a fork of one.\n\n\
    Accepts the official client's command lines and sends the same request. -c values are typed \
    by the service type's schema (integers, numbers, booleans, strings, JSON objects and arrays, \
    and comma lists for arrays); an unknown option fails before anything is created, with the \
    closest valid names. --recovery-target-time needs a fork source and accepts RFC 3339, \
    'YYYY-MM-DD HH:MM:SS' (UTC), relative times (-90m, 2h ago) and @UNIX_SECONDS.\n\n\
    Examples:\n  avn service create db1 -t pg -p startup-4\n  \
    avn service create db1 -t pg:business-4 --cloud google-europe-west1 -c pg.max_connections=200 --wait\n  \
    avn service create forked --project PROJECT_NAME --cloud CLOUD_NAME -t pg --plan business-4 -c service_to_fork_from=forker\n  \
    avn service create fork1 -t pg -p startup-4 --service-to-fork-from db1 --recovery-target-time '2h ago'")]
pub struct CreateArgs {
    /// Name the new service
    pub name: String,
    /// Create a service of this type (TYPE:PLAN also sets the plan)
    #[arg(short = 't', long = "service-type", value_name = "TYPE", required_unless_present = "fork_from", value_parser = crate::ServiceTypeValue, hide_possible_values = true)]
    pub service_type: Option<String>,
    /// Use this plan (TYPE:PLAN wins)
    #[arg(short = 'p', long, value_name = "PLAN")]
    pub plan: Option<String>,
    /// Create the service in this cloud [default: the project's]
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,
    /// Set a configuration option, typed by the schema (can be repeated)
    #[arg(short = 'c', value_name = "KEY=VALUE")]
    pub config_option: Vec<String>,
    /// Start from this user_config object (JSON, or @FILE to read it)
    #[arg(long, value_name = "JSON|@FILE")]
    pub user_config_json: Option<String>,
    /// Give the service this much disk (GiB)
    #[arg(long, value_name = "GIB")]
    pub disk_space_gib: Option<u64>,
    /// Protect the service against termination and powering off
    #[arg(long)]
    pub enable_termination_protection: bool,
    /// Succeed without changes when a service of that name already exists
    #[arg(long)]
    pub no_fail_if_exists: bool,
    /// Put the service in this project VPC
    #[arg(long, value_name = "ID", conflicts_with = "no_project_vpc")]
    pub project_vpc_id: Option<String>,
    /// Put the service on the public internet even if the cloud has a VPC
    #[arg(long)]
    pub no_project_vpc: bool,
    /// Attach this static IP address (can be repeated)
    #[arg(long, value_name = "ID")]
    pub static_ip: Vec<String>,
    /// Fork the new service from this service
    #[arg(long, value_name = "SERVICE")]
    pub service_to_fork_from: Option<String>,
    /// Fork from a service in this project
    #[arg(long, value_name = "PROJECT")]
    pub project_to_fork_from: Option<String>,
    /// Restore the fork to this instant (needs a fork source)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub recovery_target_time: Option<String>,
    /// Fork from this service, with every check of `avn service fork` (type, plan, cloud default to its)
    #[arg(long, value_name = "SOURCE", conflicts_with_all = ["service_to_fork_from", "recovery_target_time"])]
    pub fork_from: Option<String>,
    /// With --fork-from: restore to this instant (RFC 3339, 'YYYY-MM-DD HH:MM:SS' UTC, -90m, @UNIX, latest)
    #[arg(long, value_name = "TIME", requires = "fork_from", allow_hyphen_values = true)]
    pub pitr: Option<String>,
    /// Wait until the service is running
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this long: seconds, or units like 5m [default: 30m]
    #[arg(long, value_name = "DURATION", requires = "wait", value_parser = crate::parse_duration)]
    pub timeout: Option<Duration>,
    /// Skip confirmations (accepted for compatibility)
    #[arg(short, long)]
    pub force: bool,
    #[command(flatten)]
    pub expiry: crate::ExpiryArgs,
}
