//! MySQL sessions of the CLI (readiness, `--run-sql`): the service URI with the project's TLS
//! trust, through `mysql_async` with rustls. TLS is always required: a server that does not offer
//! it gets no password (the driver refuses before sending one), and `mysql_clear_password` is
//! never used.

use mysql_async::Conn;
use mysql_async::OptsBuilder;
use mysql_async::SslOpts;

use crate::pg::Trust;

/// Why a MySQL session could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum MyError {
    // (The messages are the server's own, or the driver's, in words.)
    #[error("not a MySQL URI: {0}")]
    Uri(String),
    #[error("the server does not offer TLS: no password was sent")]
    TlsDeclined,
    #[error("TLS: {0}")]
    Certificate(String),
    #[error("{0}")]
    Server(mysql_async::ServerError),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Other(String),
}

impl From<mysql_async::Error> for MyError {
    fn from(e: mysql_async::Error) -> Self {
        match e {
            mysql_async::Error::Server(s) => MyError::Server(s),
            mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer) => MyError::TlsDeclined,
            mysql_async::Error::Io(mysql_async::IoError::Tls(t)) => MyError::Certificate(t.to_string()),
            mysql_async::Error::Io(mysql_async::IoError::Io(io)) => match io.kind() {
                std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::TimedOut
                | std::io::ErrorKind::NotFound
                | std::io::ErrorKind::HostUnreachable
                | std::io::ErrorKind::NetworkUnreachable => MyError::Unreachable(io.to_string()),
                // rustls reports a bad certificate as an I/O error of kind InvalidData.
                std::io::ErrorKind::InvalidData => MyError::Certificate(io.to_string()),
                _ => MyError::Other(io.to_string()),
            },
            other => MyError::Other(other.to_string()),
        }
    }
}

/// A MySQL service URI (`mysql://user:password@host:port/db?ssl-mode=REQUIRED`) and the TLS trust
/// to connect with.
#[derive(Clone)]
pub struct MyConn {
    host: String,
    port: u16,
    user: String,
    password: String,
    db: Option<String>,
    trust: Trust,
}

impl MyConn {
    pub fn parse(uri: &str, trust: Trust) -> Result<MyConn, MyError> {
        let u = url::Url::parse(uri).map_err(|e| MyError::Uri(e.to_string()))?;
        if u.scheme() != "mysql" {
            return Err(MyError::Uri(format!("scheme {}", u.scheme())));
        }
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().to_string();
        let db = u.path().trim_start_matches('/');
        Ok(MyConn {
            host: u.host_str().unwrap_or("localhost").trim_start_matches('[').trim_end_matches(']').to_string(),
            port: u.port().unwrap_or(3306),
            user: decode(u.username()),
            password: decode(u.password().unwrap_or_default()),
            db: (!db.is_empty()).then(|| decode(db)),
            trust,
        })
    }

    /// The same login on another database.
    pub fn with_db(mut self, db: &str) -> MyConn {
        self.db = Some(db.to_string());
        self
    }

    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback())
    }

    /// Open a session over TLS: checked against the project's CA (chain and host) when it is
    /// known, else encrypted without a check (`ssl-mode=REQUIRED`'s meaning).
    pub async fn connect(&self) -> Result<Conn, MyError> {
        let ssl = match &self.trust {
            Trust::ProjectCa(pem) => SslOpts::default().with_root_certs(vec![pem.as_ref().clone().into()]),
            Trust::Libpq | Trust::Insecure => {
                SslOpts::default().with_danger_accept_invalid_certs(true).with_danger_skip_domain_validation(true)
            }
        };
        let opts = OptsBuilder::default()
            .ip_or_hostname(self.host.clone())
            .tcp_port(self.port)
            .user(Some(self.user.clone()))
            .pass(Some(self.password.clone()))
            .db_name(self.db.clone())
            .prefer_socket(false)
            .ssl_opts(Some(ssl))
            .stmt_cache_size(0);
        Ok(Conn::new(opts).await?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_read_with_their_encoded_parts() {
        let c = super::MyConn::parse(
            "mysql://avnadmin:p%40ss@127.0.0.1:1234/defaultdb?ssl-mode=REQUIRED",
            Default::default(),
        )
        .unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.user.as_str(), c.password.as_str()),
            ("127.0.0.1", 1234, "avnadmin", "p@ss")
        );
        assert_eq!(c.db.as_deref(), Some("defaultdb"));
        assert!(c.is_loopback());
        assert!(super::MyConn::parse("postgres://a@b/c", Default::default()).is_err());
    }
}
