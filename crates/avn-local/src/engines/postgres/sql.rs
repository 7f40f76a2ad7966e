//! SQL over the instance's unix socket as the `postgres` superuser (trust auth).

use std::time::Duration;

use postgres_protocol::escape::escape_identifier;
use postgres_protocol::escape::escape_literal;
use tokio_postgres::Client;
use tokio_postgres::NoTls;

use crate::engines::Layout;

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

/// A string literal for SQL text where parameters cannot be used (e.g. `PASSWORD '...'`).
pub fn literal(s: &str) -> String {
    escape_literal(s)
}

/// An identifier (role, database) for SQL text.
pub fn ident(s: &str) -> String {
    escape_identifier(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_identifiers_with_quotes_and_backslashes() {
        assert_eq!(literal("pw"), "'pw'");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal(r"a\b'c"), r" E'a\\b''c'");
        assert_eq!(ident("avnadmin"), "\"avnadmin\"");
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
    }
}
