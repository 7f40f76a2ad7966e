//! The arguments of `avn service prune`.

use clap::Args;

/// Terminate the project's services whose expiry has passed
#[derive(Debug, Args)]
#[command(long_about = "Terminate every service of the project whose expiry (the avn_expires_at \
    tag, set with --expires-in/--expires-at) has passed. A service without the tag is never touched; \
    an expired one with termination protection, or under a rename (the avn_rename lease), is listed \
    as skipped, with why: a rename's services wait until it ends. Without a terminal \
    it needs --yes (a dry run needs nothing). Exit 0 when everything went as planned, 1 when a \
    termination failed.\n\n\
    Examples:\n  avn service prune --dry-run\n  avn service prune --yes --json\n  \
    avn service prune -t pg --tag team=ci --yes")]
pub struct PruneArgs {
    /// Show what would be terminated, terminate nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Terminate without asking
    #[arg(short = 'y', long, visible_alias = "force")]
    pub yes: bool,
    /// Only services of this type
    #[arg(short = 't', long = "service-type", value_name = "TYPE", value_parser = crate::ServiceTypeValue, hide_possible_values = true)]
    pub service_type: Option<String>,
    /// Only services with this tag (can be repeated: all must match)
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
}
