//! The arguments of `avn service terminate`.

use clap::Args;

/// Delete services and all their data
#[derive(Debug, Args)]
#[command(long_about = "Delete services and all their data. This cannot be undone.\n\n\
    On a terminal, each name must be typed again to confirm. Without a terminal the command refuses \
    unless -f/--force, --yes or AIVEN_FORCE=true is given. A service under a rename (the avn_rename \
    lease tag) is refused, exit 2, unless --force is given twice (-ff). Services with termination protection are \
    refused by the control plane; remove it first with `avn service update NAME \
    --disable-termination-protection`.\n\n\
    Examples:\n  avn service terminate db1\n  avn service terminate db1 db2 --force")]
pub struct TerminateArgs {
    /// Delete these services
    #[arg(required = true, value_parser = crate::service_name)]
    pub names: Vec<String>,
    /// Skip the confirmation; given twice (-ff), also terminate a service under a rename
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub force: u8,
    /// Skip the confirmation (the same as one --force)
    #[arg(long)]
    pub yes: bool,
}
