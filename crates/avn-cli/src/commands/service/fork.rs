//! The arguments of `avn service fork`.

use std::time::Duration;

use clap::Args;

/// Fork a service, to its latest transaction or to an instant, and wait until it is ready
#[derive(Debug, Args)]
#[command(long_about = "Fork a service: create NEW from SOURCE's backups, at the latest transaction or \
    at an instant (--pitr), and wait until NEW accepts connections.\n\n\
    Everything is checked before anything is created: SOURCE exists and can be forked, it has \
    backups, the time is inside its point-in-time recovery window, NEW is a valid free name, and \
    the plan exists and can be forked to. Type, plan and cloud default to SOURCE's.\n\n\
    Caching (valkey) services are forked from a backup: --backup NAME, else the newest one (as on \
    Aiven); --latest-snapshot takes a fresh one first (avn local). They have no --pitr.\n\n\
    Time forms for --pitr: RFC 3339 (2026-11-21T10:00:00Z, 2026-11-21T12:00:00+02:00), \
    'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC), relative (-90m, 2h ago, 1d3h ago), @UNIX_SECONDS, and \
    latest or now (the latest transaction, the default).\n\n\
    Exit status: 0 ready (or adopted with --if-not-exists), 1 failed, 2 refused before anything \
    was created, 3 timed out waiting (the fork goes on; resume with `avn service wait NEW`), 130 \
    interrupted (the fork goes on).\n\n\
    Examples:\n  avn service fork db1 db1-staging\n  avn service fork db1 db1-incident --pitr '2026-11-21 09:58:00'\n  \
    avn service fork db1 db1-copy --pitr '2h ago' -p business-4 --copy-integrations\n  \
    avn service fork db1 ci-copy --if-not-exists --timeout 20m --json\n  avn service fork db1 test --dry-run\n  \
    avn service fork cache cache-copy --latest-snapshot")]
pub struct ForkArgs {
    /// Fork this service
    #[arg(value_parser = crate::service_name)]
    pub source: String,
    /// Name the new service
    #[arg(value_parser = crate::service_name)]
    pub new: String,
    /// Restore to this instant instead of the latest transaction (see the time forms above)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub pitr: Option<String>,
    /// Restore from this backup (see `avn service backup-list SOURCE`)
    #[arg(long, value_name = "NAME", conflicts_with = "pitr")]
    pub backup: Option<String>,
    /// Take a backup of SOURCE now and fork from it (types forked from backups, such as valkey; avn local)
    #[arg(long, conflicts_with_all = ["pitr", "backup"])]
    pub latest_snapshot: bool,
    /// Fork a service of this project [default: the current project]
    #[arg(long, value_name = "PROJECT")]
    pub source_project: Option<String>,
    /// Check the fork has this type [default: the source's]
    #[arg(short = 't', long = "service-type", value_name = "TYPE", value_parser = crate::ServiceTypeValue, hide_possible_values = true)]
    pub service_type: Option<String>,
    /// Put the fork on this plan [default: the source's]
    #[arg(short = 'p', long, value_name = "PLAN")]
    pub plan: Option<String>,
    /// Put the fork in this cloud [default: the source's]
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,
    /// Give the fork this much disk (GiB)
    #[arg(long, value_name = "GIB")]
    pub disk_space_gib: Option<u64>,
    /// Set a configuration option on the fork, typed by the schema (can be repeated)
    #[arg(short = 'c', value_name = "KEY=VALUE")]
    pub config_option: Vec<String>,
    /// Recreate the source's integrations on the fork
    #[arg(long)]
    pub copy_integrations: bool,
    /// Copy the source's tags to the fork
    #[arg(long)]
    pub copy_tags: bool,
    /// Protect the fork against termination and powering off
    #[arg(long)]
    pub enable_termination_protection: bool,
    /// Succeed without a second fork when NEW already is a fork of SOURCE (for retried CI jobs)
    #[arg(long, conflicts_with = "replace")]
    pub if_not_exists: bool,
    /// Refresh NEW in place: when it is a fork of SOURCE, terminate it and fork again under its
    /// name (plan, tags and expiry carry over unless given); anything else named NEW is refused
    #[arg(long)]
    pub replace: bool,
    /// Replace without asking (needed for --replace without a terminal)
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Run this SQL file on the fork as the admin, in one transaction, before reporting it ready
    /// (FILE@DB for another database; can be repeated); if it fails, the fork is terminated
    #[arg(long, value_name = "FILE[@DB]", value_parser = crate::parse::parse_sql_file, conflicts_with = "no_wait")]
    pub run_sql: Vec<crate::parse::SqlFile>,
    /// Keep the fork when a --run-sql file fails
    #[arg(long, requires = "run_sql")]
    pub keep_on_failure: bool,
    /// Run every check and print the request and the plan, creating nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Return once the fork is accepted instead of waiting until it is ready
    #[arg(long, conflicts_with = "timeout")]
    pub no_wait: bool,
    /// Give up waiting after this long: seconds, or units like 20m [default: 30m]
    #[arg(long, value_name = "DURATION", value_parser = crate::parse_duration)]
    pub timeout: Option<Duration>,
    #[command(flatten)]
    pub expiry: crate::ExpiryArgs,
    /// Write the fork's URI to this env file as VAR=URI (default DATABASE_URL; - for stdout)
    #[arg(long, value_name = "FILE[:VAR]", value_parser = crate::parse_env_file, allow_hyphen_values = true)]
    pub env_file: Option<crate::parse::EnvFile>,
}
