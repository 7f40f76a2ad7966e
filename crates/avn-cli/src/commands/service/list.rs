//! The arguments of `avn service list`.

use clap::Args;

/// List services
#[derive(Debug, Args)]
#[command(long_about = "List the project's services, optionally only the named ones or one type.\n\n\
    Examples:\n  avn service list\n  avn service list -t pg\n  avn service list db1 db2 --json\n  \
    avn service list --format '{service_name} {state}'")]
pub struct ListArgs {
    /// Show only these services
    pub names: Vec<String>,
    /// Show only services of this type
    #[arg(short = 't', long = "service-type", value_name = "TYPE", value_parser = crate::ServiceTypeValue, hide_possible_values = true)]
    pub service_type: Option<String>,
}
