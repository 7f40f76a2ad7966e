//! The arguments of `avn service connection-pool-list|-create|-update|-delete`.

use clap::Args;

/// A pool size: a whole number from 1 (the official client drops 0 silently; here it is refused).
fn pool_size(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(0) => Err("a pool needs at least 1 connection".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{s}' is not a whole number of connections")),
    }
}

/// List a service's connection pools (PgBouncer)
#[derive(Debug, Args)]
#[command(long_about = "List the service's connection pools: POOL_NAME, DATABASE, USERNAME, \
    POOL_MODE and POOL_SIZE; -v adds each pool's CONNECTION_URI (its password masked unless \
    --show-secrets).\n\n\
    Examples:\n  avn service connection-pool-list db1\n  avn service connection-pool-list db1 -v\n  \
    avn service connection-pool-list db1 --format '{connection_uri}'")]
pub struct ConnectionPoolListArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
}

/// Create a connection pool (PgBouncer)
#[derive(Debug, Args)]
#[command(long_about = "Create a connection pool in front of a database. Without --username each \
    client logs in as itself; with it, the pool's server connections use that user. Defaults: \
    --pool-size 10, --pool-mode transaction.\n\n\
    Examples:\n  avn service connection-pool-create db1 --pool-name app --dbname appdb\n  \
    avn service connection-pool-create db1 --pool-name app --dbname appdb --username app --pool-size 20 --pool-mode session")]
pub struct ConnectionPoolCreateArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The pool's name (clients use it as the database name)
    #[arg(long)]
    pub pool_name: String,
    /// The database it pools connections to
    #[arg(long)]
    pub dbname: String,
    /// The user its server connections use
    #[arg(long)]
    pub username: Option<String>,
    /// Server connections in the pool (at least 1)
    #[arg(long, value_parser = pool_size)]
    pub pool_size: Option<u32>,
    /// How long a client keeps a server connection: session, transaction or statement
    #[arg(long, value_parser = ["session", "transaction", "statement"])]
    pub pool_mode: Option<String>,
}

/// Change a connection pool
#[derive(Debug, Args)]
#[command(long_about = "Change a connection pool: only what is given changes. --username '' makes \
    it a pool without a fixed user.\n\n\
    Examples:\n  avn service connection-pool-update db1 --pool-name app --pool-size 30\n  \
    avn service connection-pool-update db1 --pool-name app --username ''")]
pub struct ConnectionPoolUpdateArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The pool to change
    #[arg(long)]
    pub pool_name: String,
    /// Its new database
    #[arg(long)]
    pub dbname: Option<String>,
    /// Its new user ('' for none)
    #[arg(long)]
    pub username: Option<String>,
    /// Its new size (at least 1)
    #[arg(long, value_parser = pool_size)]
    pub pool_size: Option<u32>,
    /// How long a client keeps a server connection: session, transaction or statement
    #[arg(long, value_parser = ["session", "transaction", "statement"])]
    pub pool_mode: Option<String>,
}

/// Delete a connection pool
#[derive(Debug, Args)]
#[command(long_about = "Delete a connection pool; its clients are disconnected. The service's \
    PgBouncer stops with its last pool.\n\n\
    Examples:\n  avn service connection-pool-delete db1 --pool-name app")]
pub struct ConnectionPoolDeleteArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The pool to delete
    #[arg(long)]
    pub pool_name: String,
}
