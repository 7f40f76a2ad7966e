//! The arguments of `avn service database-list|database-create|database-delete`.

use clap::Args;

/// List a service's databases
#[derive(Debug, Args)]
#[command(long_about = "List the service's databases (a DATABASE column; --json is the list of \
    names, as the official client prints it).\n\n\
    Examples:\n  avn service database-list db1\n  avn service database-list db1 --json")]
pub struct DatabaseListArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
}

/// Create a database in a service
#[derive(Debug, Args)]
#[command(long_about = "Create a database in the service, owned by avnadmin.\n\n\
    Examples:\n  avn service database-create db1 --dbname appdb\n  \
    avn service database-create db1 --dbname appdb --lc-collate C --lc-ctype C")]
pub struct DatabaseCreateArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The new database's name
    #[arg(long)]
    pub dbname: String,
    /// PostgreSQL: its collation (LC_COLLATE), such as C or en_US.UTF-8
    #[arg(long)]
    pub lc_collate: Option<String>,
    /// PostgreSQL: its character classification (LC_CTYPE)
    #[arg(long)]
    pub lc_ctype: Option<String>,
}

/// Delete a database from a service (no prompt, as in the official client)
#[derive(Debug, Args)]
#[command(long_about = "Delete a database and everything in it. There is no prompt, as in the \
    official client: scripts depend on it. defaultdb and a connection pool's database are \
    refused.\n\n\
    Examples:\n  avn service database-delete db1 --dbname appdb")]
pub struct DatabaseDeleteArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The database to delete
    #[arg(long)]
    pub dbname: String,
}
