//! Connecting to PostgreSQL services with their URI (readiness checks, rename steps).

use tokio_postgres::Client;
use tokio_postgres::Connection;

/// The error for services whose URI requires TLS.
pub const TLS_UNSUPPORTED: &str = "the service requires TLS, which this build cannot use";

/// Connect with a `postgres://` URI. Services that require TLS are reported as such.
pub async fn connect(
    uri: &str,
) -> Result<(Client, Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>), String> {
    let cfg: tokio_postgres::Config = uri.parse().map_err(|e: tokio_postgres::Error| e.to_string())?;
    if cfg.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        return Err(TLS_UNSUPPORTED.into());
    }
    cfg.connect(tokio_postgres::NoTls).await.map_err(|e| match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    })
}
