//! The arguments of `avn service rename`.

use std::time::Duration;

use clap::Args;

/// Rename a service safely: stop writes, fork, verify, repoint, delete
#[derive(Debug, Args)]
#[command(long_about = "Rename a service the only way Aiven allows: stop writes on OLD, fork it as NEW, \
    open NEW for writes, verify NEW has everything, repoint clients, and delete OLD.\n\n\
    Steps: 1 preflight (every fork check; OLD RUNNING; termination protection; a terminal or --yes; \
    no role-level setting that re-enables writes, unless --force), 2 stop writes (PostgreSQL: every \
    database defaults to read-only, other sessions are ended, a write in a fresh session must fail, \
    then a fence row is committed and every other session is ended again; other types: \
    --writes-stopped), 3 fork at the latest transaction, wait, and check NEW holds the fence, 4 clear \
    the read-only defaults on NEW, 5 verify databases, users, pools and exact row counts (and with \
    --verify checksum, every table's contents), 6 repoint (integrations, --repoint-env files, \
    --repoint-exec), 7 delete OLD after confirmation (or --yes; --keep-source keeps it).\n\n\
    What stopping writes guarantees: on PostgreSQL a transaction is read-only by default in every \
    database, and every session open at the time is ended, so a client must reconnect and gets \
    read-only sessions. It is a soft stop: a client that runs `SET default_transaction_read_only = \
    off` can still write, and a role-level setting beats the database default (preflight refuses \
    those unless --force). The fence proves the copy: WAL is one ordered stream for the whole \
    cluster, so a NEW that holds the fence row holds every transaction committed on OLD before \
    it, in any database; a fork without it is deleted, never used. Writes that slip past a soft \
    stop after the fence are not in NEW: stop such clients first.\n\n\
    Each step is journalled (under avn's data directory) before it counts as done, with the API \
    URL and the creation time of OLD and NEW. A failure before step 6 rolls back what the rename \
    did; an interruption can be continued with --resume, which is refused (exit 2, nothing \
    changed) against another API URL or when OLD or NEW is not the service the journal recorded. \
    --repoint-exec runs without Aiven credentials (AIVEN_AUTH_TOKEN and other AIVEN_* secrets) in \
    its environment.\n\n\
    Exit status: 0 done, 1 failed (rolled back before step 6), 2 refused before starting, 3 timed \
    out waiting for the fork (resume possible), 130 interrupted (resume possible).\n\n\
    Examples:\n  avn service rename db1 orders-db --dry-run\n  \
    avn service rename db1 orders-db --repoint-env .env:DATABASE_URL --yes\n  \
    avn service rename db1 orders-db --keep-source --repoint-exec './deploy.sh' --verify checksum\n  \
    avn service rename db1 orders-db --resume")]
pub struct RenameArgs {
    /// Rename this service
    #[arg(value_parser = crate::service_name)]
    pub old: String,
    /// Give it this name
    #[arg(value_parser = crate::service_name)]
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
    #[arg(long, conflicts_with = "abort")]
    pub resume: bool,
    /// Undo an interrupted or failed rename from its journal (any step before repoint): writes
    /// re-enabled on OLD, the NEW it created deleted, its lease released
    #[arg(long, conflicts_with = "dry_run")]
    pub abort: bool,
    /// Go on although role-level settings can re-enable writes on OLD, or unlogged tables hold
    /// rows a fork leaves empty (both are listed)
    #[arg(long)]
    pub force: bool,
    /// How to verify NEW: counts (exact row counts) or checksum (also every table's contents:
    /// reads every row of both services once)
    #[arg(long, value_name = "MODE", default_value = "counts", value_parser = ["counts", "checksum"])]
    pub verify: String,
    /// Give up waiting for the fork after this long: seconds, or units like 20m [default: 30m]
    #[arg(long, value_name = "DURATION", value_parser = crate::parse_duration)]
    pub timeout: Option<Duration>,
}
