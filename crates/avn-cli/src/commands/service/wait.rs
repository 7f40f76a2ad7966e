//! The arguments of `avn service wait`.

use std::time::Duration;

use clap::Args;

/// Wait until services are running
#[derive(Debug, Args)]
#[command(long_about = "Wait until every named service is RUNNING and, for PostgreSQL, accepts a \
    connection (SELECT 1 with its service URI).\n\n\
    On a terminal, a progress line per service shows its state, phase and percentage; otherwise \
    one timestamped line per state or phase change. Polls about every second while progress \
    moves, backing off to 10 seconds (2 on the local control plane) when it does not. --timeout \
    takes seconds (as the official client: 300) or units (5m, 1h); on timeout the exit status is \
    3 and the services keep changing in the control plane. Ctrl-C stops waiting only.\n\n\
    Examples:\n  avn service wait db1\n  avn service wait db1 db2 --timeout 300\n  avn service wait db1 --timeout 10m --json")]
pub struct WaitArgs {
    /// Wait for these services
    #[arg(required = true, value_parser = crate::service_name)]
    pub names: Vec<String>,
    /// Give up after this long: seconds, or units like 5m [default: 30m]
    #[arg(long, value_name = "DURATION", value_parser = crate::parse_duration)]
    pub timeout: Option<Duration>,
}
