//! The arguments of `avn service backups`.

use clap::Args;

/// List a service's backups and its point-in-time recovery window
#[derive(Debug, Args)]
#[command(long_about = "List a service's backups, newest last, and print its point-in-time \
    recovery window (the instants a fork can restore to) on stderr.\n\n\
    Examples:\n  avn service backup-list db1\n  avn service backup-list db1 --json")]
pub struct BackupListArgs {
    /// List the backups of this service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
}
