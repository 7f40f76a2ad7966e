//! SQL over the instance's unix socket as the `postgres` superuser (trust auth).

use std::time::Duration;

use tokio_postgres::Client;
use tokio_postgres::NoTls;

use super::layout::Layout;

pub async fn connect(layout: &Layout, port: u16, db: &str) -> Result<Client, tokio_postgres::Error> {
    let mut cfg = tokio_postgres::Config::new();
    cfg.host_path(layout.run())
        .port(port)
        .user("postgres")
        .dbname(db)
        .application_name("avn-local")
        .connect_timeout(Duration::from_secs(5));
    let (client, conn) = cfg.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// Quote a string literal for SQL.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
