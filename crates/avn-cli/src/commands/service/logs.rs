//! The arguments of `avn service logs`, `current-queries` and `queries`.

use clap::Args;

/// Show a service's log
#[derive(Debug, Args)]
#[command(long_about = "Show the service's log, one line per entry ({time:<27}{hostname} {unit} \
    {msg}, as the official client prints it); -f follows new entries until interrupted.\n\n\
    Examples:\n  avn service logs db1\n  avn service logs db1 -n 20 -S desc\n  avn service logs db1 -f")]
pub struct LogsArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// Get up to N entries
    #[arg(short = 'n', long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub limit: u32,
    /// Oldest first (asc) or newest first (desc)
    #[arg(short = 'S', long, default_value = "asc", value_parser = ["asc", "desc"])]
    pub sort_order: String,
    /// Keep printing new entries as they come
    #[arg(short = 'f', long)]
    pub follow: bool,
}

/// List a service's current connections and queries
#[derive(Debug, Args)]
#[command(long_about = "List the service's connections and what they run (pg_stat_activity): PID, \
    QUERY, QUERY_DURATION, CLIENT_ADDR and APPLICATION_NAME; -v adds the other columns.\n\n\
    Examples:\n  avn service current-queries db1\n  avn service current-queries db1 --json")]
pub struct CurrentQueriesArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
}

/// List a service's query statistics
#[derive(Debug, Args)]
#[command(long_about = "List the service's query statistics (pg_stat_statements), most called \
    first: QUERY, MAX_TIME, STDDEV_TIME, MIN_TIME, MEAN_TIME, ROWS, CALLS and TOTAL_TIME.\n\n\
    Examples:\n  avn service queries db1\n  avn service queries db1 --format '{calls} {query}'")]
pub struct QueriesArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
}
