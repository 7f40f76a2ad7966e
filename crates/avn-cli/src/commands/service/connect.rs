//! The arguments of `avn service connection-info` and `avn service cli`.

use clap::Args;
use clap::Subcommand;

/// Print how to connect to a service
#[derive(Debug, Args)]
#[command(about = "Print how to connect to a service")]
pub struct ConnectionInfoArgs {
    #[command(subcommand)]
    pub command: ConnectionInfoCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConnectionInfoCommand {
    /// PostgreSQL: a URI or a connection string
    Pg(PgInfoArgs),
    /// The psql command line that connects
    #[command(long_about = "Print the psql command line that connects to a PostgreSQL service \
        (its URI carries the password, as the official client prints it).\n\n\
        Examples:\n  avn service connection-info psql db1\n  avn service connection-info psql db1 -u app -d appdb")]
    Psql(PgTarget),
}

#[derive(Debug, Args)]
#[command(about = "PostgreSQL: a URI or a connection string")]
pub struct PgInfoArgs {
    #[command(subcommand)]
    pub command: PgInfoCommand,
}

#[derive(Debug, Subcommand)]
pub enum PgInfoCommand {
    /// The service's URI for a user and database
    #[command(long_about = "Print a PostgreSQL URI for a user and database of the service, with \
        that user's password, as the official client prints it.\n\n\
        Examples:\n  avn service connection-info pg uri db1\n  psql \"$(avn service connection-info pg uri db1 -u app -d appdb)\"")]
    Uri(PgTarget),
    /// A libpq connection string (without the password)
    #[command(long_about = "Print a libpq connection string (host, port, user, dbname; no password), \
        as the official client prints it.\n\n\
        Examples:\n  avn service connection-info pg string db1")]
    String(PgTarget),
}

/// Who connects to which database of which service, by which route.
#[derive(Debug, Args)]
pub struct PgTarget {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The route of the component to connect to
    #[arg(short = 'r', long, value_parser = ["dynamic", "privatelink", "public"])]
    pub route: Option<String>,
    /// The component's usage
    #[arg(long, value_parser = ["primary", "replica", "disaster_recovery"])]
    pub usage: Option<String>,
    /// A privatelink connection's id
    #[arg(short = 'p', long)]
    pub privatelink_connection_id: Option<String>,
    /// Connect to a replica (as --usage replica)
    #[arg(long)]
    pub replica: bool,
    /// The user
    #[arg(short = 'u', long, default_value = "avnadmin")]
    pub username: String,
    /// The database
    #[arg(short = 'd', long, default_value = "defaultdb")]
    pub dbname: String,
    /// The sslmode libpq connects with
    #[arg(long, default_value = "require", value_parser = ["require", "verify-ca", "verify-full", "disable", "allow", "prefer"])]
    pub sslmode: String,
}

/// A service name, or a URI (`postgres://…`) as the official client accepts.
fn name_or_uri(s: &str) -> Result<String, String> {
    if s.contains("://") {
        Ok(s.to_string())
    } else {
        crate::service_name(s)
    }
}

/// Open the service's own shell (psql for PostgreSQL)
#[derive(Debug, Args)]
#[command(long_about = "Open the service's interactive shell: psql for PostgreSQL, as the official \
    client does, verifying the server's certificate against the project's CA. The password goes \
    through the environment of psql alone (PGPASSWORD), never its command line; the API token is \
    not passed on. Arguments after -- go to psql.\n\n\
    Examples:\n  avn service cli db1\n  avn service cli db1 -- -c 'SELECT version()'\n  \
    avn service cli db1 -- -d appdb -f migrate.sql")]
pub struct CliArgs {
    /// The service (or its URI)
    #[arg(value_parser = name_or_uri)]
    pub name: String,
    /// Arguments for the shell, after --
    #[arg(last = true)]
    pub arg: Vec<String>,
}
