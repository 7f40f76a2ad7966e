use std::time::Duration;

use clap::Args;

use crate::context::Context;
use crate::rename::Options;

/// Rename a service safely: stop writes, fork, verify, repoint, delete
#[derive(Debug, Args)]
#[command(long_about = "Rename a service the only way Aiven allows: stop writes on OLD, fork it as NEW, \
    open NEW for writes, verify NEW has everything, repoint clients, and delete OLD.\n\n\
    Steps: 1 preflight (every fork check; OLD RUNNING; termination protection; a terminal or --yes), \
    2 stop writes (PostgreSQL: every database defaults to read-only, other sessions are ended, a \
    write in a fresh session must fail; other types: --writes-stopped), 3 fork at the latest \
    transaction and wait, 4 clear the read-only defaults on NEW, 5 verify databases, users, pools \
    and exact row counts, 6 repoint (integrations, --repoint-env files, --repoint-exec), 7 delete \
    OLD after confirmation (or --yes; --keep-source keeps it).\n\n\
    Each step is journalled (under avn's data directory) before it counts as done. A failure \
    before step 6 rolls back what the rename did; an interruption can be continued with --resume.\n\n\
    Exit status: 0 done, 1 failed (rolled back before step 6), 2 refused before starting, 3 timed \
    out waiting for the fork (resume possible), 130 interrupted (resume possible).\n\n\
    Examples:\n  avn service rename db1 orders-db --dry-run\n  \
    avn service rename db1 orders-db --repoint-env .env:DATABASE_URL --yes\n  \
    avn service rename db1 orders-db --keep-source --repoint-exec './deploy.sh'\n  avn service rename db1 orders-db --resume")]
pub struct RenameArgs {
    /// Rename this service
    pub old: String,
    /// Give it this name
    pub new: String,
    /// Put NEW on this plan [default: OLD's]
    #[arg(short = 'p', long, value_name = "PLAN")]
    pub plan: Option<String>,
    /// Put NEW in this cloud [default: OLD's]
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,
    /// Set a configuration option on NEW (can be repeated)
    #[arg(short = 'c', value_name = "KEY=VALUE")]
    pub config_option: Vec<String>,
    /// Point this env file at NEW: its URI, host and port, or only VAR (can be repeated)
    #[arg(long, value_name = "FILE[:VAR]")]
    pub repoint_env: Vec<String>,
    /// Run this shell command to repoint clients; a non-zero exit stops before the delete
    #[arg(long, value_name = "CMD")]
    pub repoint_exec: Option<String>,
    /// Keep OLD (read-only) instead of deleting it
    #[arg(long)]
    pub keep_source: bool,
    /// Confirm that writes to OLD are already stopped (required for types other than PostgreSQL)
    #[arg(long)]
    pub writes_stopped: bool,
    /// Lift OLD's termination protection at the last step so it can be deleted
    #[arg(long)]
    pub remove_termination_protection: bool,
    /// Delete OLD without asking
    #[arg(short, long)]
    pub yes: bool,
    /// Print each step's concrete action and change nothing
    #[arg(long, conflicts_with = "resume")]
    pub dry_run: bool,
    /// Continue an interrupted rename from its journal
    #[arg(long)]
    pub resume: bool,
    /// Give up waiting for the fork after this long: seconds, or units like 20m [default: 30m]
    #[arg(long, value_name = "DURATION", value_parser = crate::cli::parse_duration)]
    pub timeout: Option<Duration>,
}

pub async fn run(ctx: &Context<'_>, a: RenameArgs) -> anyhow::Result<()> {
    let opts = Options {
        plan: a.plan,
        cloud: a.cloud,
        config: a.config_option,
        repoint_env: a.repoint_env,
        repoint_exec: a.repoint_exec,
        keep_source: a.keep_source,
        writes_stopped: a.writes_stopped,
        yes: a.yes || ctx.settings.force_env,
        remove_termination_protection: a.remove_termination_protection,
        timeout_seconds: a.timeout.map(|t| t.as_secs_f64()),
    };
    crate::rename::run(ctx, &a.old, &a.new, opts, a.dry_run, a.resume).await
}
