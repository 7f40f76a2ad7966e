//! Connecting to PostgreSQL services with their URI (readiness checks, rename steps).
//!
//! URIs are parsed by `tokio_postgres::Config` (percent-encoded passwords, IPv6 hosts, several
//! hosts); only libpq's `sslmode` values and `sslrootcert`, which tokio-postgres does not know,
//! are taken out of the query first. TLS never falls back to plaintext once the URI asks for it
//! (`require`, `verify-ca`, `verify-full`): a server that declines TLS gets no login. `require`
//! checks the certificate against the project's CA when the control plane serves one (Aiven and
//! avn local do, at `kms/ca`), and otherwise encrypts without checking, as libpq does;
//! `--pg-insecure-tls` accepts an unverified certificate. `verify-ca` and `verify-full` check the
//! chain against `sslrootcert`, the project's CA or the web PKI roots (and, for `verify-full`,
//! the host name). `prefer` and no `sslmode` try TLS and accept plaintext, as libpq does.

mod tls;

pub use tls::Trust;

use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

/// libpq's `sslmode`, as far as avn distinguishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tls {
    /// `disable`, `allow`: no TLS.
    Off,
    /// `prefer`, or none given: TLS if the server offers it.
    Prefer,
    /// `require`: TLS or no connection.
    Require,
    /// `verify-ca`: TLS with a certificate chain that verifies.
    VerifyCa,
    /// `verify-full`: and the certificate names the host.
    VerifyFull,
}

impl Tls {
    fn name(self) -> &'static str {
        match self {
            Tls::Off => "disable",
            Tls::Prefer => "prefer",
            Tls::Require => "require",
            Tls::VerifyCa => "verify-ca",
            Tls::VerifyFull => "verify-full",
        }
    }
}

/// Why a connection could not be made or a statement failed. The PostgreSQL error is kept, so
/// callers classify it by SQLSTATE ([`PgError::code`]) rather than by its text.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("invalid PostgreSQL URI: {0}")]
    Uri(String),
    #[error("TLS set-up failed: {0}")]
    Tls(String),
    #[error("{}", describe(.0))]
    Postgres(tokio_postgres::Error),
    /// The server declined TLS that the URI requires: no login was sent.
    #[error("{host} does not offer TLS, and sslmode={mode} requires it: the connection was refused before any password was sent")]
    TlsDeclined { host: String, mode: &'static str },
    /// The server's certificate did not verify.
    #[error("the TLS certificate of {host} does not verify (sslmode={mode}{against}): {detail}")]
    Certificate { host: String, mode: &'static str, against: &'static str, detail: String },
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        PgError::Postgres(e)
    }
}

impl PgError {
    /// The SQLSTATE the server answered with, if it answered.
    pub fn code(&self) -> Option<&SqlState> {
        match self {
            PgError::Postgres(e) => e.code(),
            _ => None,
        }
    }

    /// No server answered: the connection was refused, timed out, or the name did not resolve.
    pub fn is_unreachable(&self) -> bool {
        let PgError::Postgres(e) = self else { return false };
        if e.as_db_error().is_some() {
            return false;
        }
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            if s.is::<std::io::Error>() {
                return true;
            }
            src = s.source();
        }
        false
    }
}

/// The server's message, or the error with its causes.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => {
            let mut m = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                m = format!("{m}: {s}");
                src = s.source();
            }
            m
        }
    }
}

/// A parsed service URI: where to connect, as whom, and how to secure it.
#[derive(Clone)]
pub struct ConnInfo {
    config: tokio_postgres::Config,
    tls: Tls,
    root: Option<String>,
    trust: Trust,
}

impl std::fmt::Debug for ConnInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("ConnInfo")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("tls", &self.tls)
            .finish()
    }
}

impl ConnInfo {
    /// Parse a `postgres://` URI (or a libpq key=value string without TLS options).
    pub fn parse(uri: &str) -> Result<ConnInfo, PgError> {
        let (base, query) = match uri.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (uri, None),
        };
        let mut tls = Tls::Prefer;
        let mut root = None;
        let mut kept = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*k {
                "sslmode" => {
                    tls = match &*v {
                        "disable" | "allow" => Tls::Off,
                        "prefer" => Tls::Prefer,
                        "require" => Tls::Require,
                        "verify-ca" => Tls::VerifyCa,
                        "verify-full" => Tls::VerifyFull,
                        other => return Err(PgError::Uri(format!("unknown sslmode '{other}'"))),
                    }
                }
                "sslrootcert" => root = Some(v.into_owned()),
                _ => {
                    kept.append_pair(&k, &v);
                }
            }
        }
        let kept = kept.finish();
        let rebuilt = if kept.is_empty() { base.to_string() } else { format!("{base}?{kept}") };
        let mut config: tokio_postgres::Config =
            rebuilt.parse().map_err(|e: tokio_postgres::Error| PgError::Uri(describe(&e)))?;
        config.ssl_mode(match tls {
            Tls::Off => SslMode::Disable,
            Tls::Prefer => SslMode::Prefer,
            // TLS or nothing: never a plaintext session (and password) after a refusal.
            Tls::Require | Tls::VerifyCa | Tls::VerifyFull => SslMode::Require,
        });
        Ok(ConnInfo { config, tls, root, trust: Trust::default() })
    }

    /// Verify `require` connections as `trust` says (the project's CA, or none).
    pub fn with_trust(mut self, trust: Trust) -> ConnInfo {
        self.trust = trust;
        self
    }

    /// Give up connecting after `d` (an unreachable server, or one behind a firewall, answers nothing).
    pub fn with_connect_timeout(mut self, d: std::time::Duration) -> ConnInfo {
        self.config.connect_timeout(d);
        self
    }

    /// The same server and login, another database.
    pub fn with_dbname(&self, db: &str) -> ConnInfo {
        let mut c = self.clone();
        c.config.dbname(db);
        c
    }

    /// Whether every host is this machine (a loopback name or address, or a Unix socket).
    pub fn is_loopback(&self) -> bool {
        let hosts = self.config.get_hosts();
        !hosts.is_empty()
            && hosts.iter().all(|h| match h {
                tokio_postgres::config::Host::Tcp(name) => {
                    name == "localhost"
                        || name.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
                }
                tokio_postgres::config::Host::Unix(_) => true,
            })
    }

    /// Connect; the connection runs in a background task.
    pub async fn connect(&self) -> Result<Client, PgError> {
        if self.tls == Tls::Off {
            let (client, conn) = self.config.connect(tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            return Ok(client);
        }
        let plan = tls::plan(self.tls, self.root.as_deref(), &self.trust)?;
        let connector = tokio_postgres_rustls::MakeRustlsConnect::new(plan.config);
        match self.config.connect(connector).await {
            Ok((client, conn)) => {
                tokio::spawn(conn);
                Ok(client)
            }
            Err(e) => Err(self.tls_error(e, plan.against)),
        }
    }

    /// The first host, as `host:port`, for messages.
    fn target(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        match self.config.get_ports().first() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    }

    /// Name TLS failures by kind: a certificate that did not verify, or a server that declined
    /// the TLS a strict mode requires (an error that is neither the server's nor the network's).
    fn tls_error(&self, e: tokio_postgres::Error, against: &'static str) -> PgError {
        if let Some(detail) = tls::certificate_problem(&e) {
            return PgError::Certificate { host: self.target(), mode: self.tls.name(), against, detail };
        }
        let e = PgError::Postgres(e);
        if self.tls >= Tls::Require && e.code().is_none() && !e.is_unreachable() {
            return PgError::TlsDeclined { host: self.target(), mode: self.tls.name() };
        }
        e
    }
}

/// Connect with a `postgres://` URI; the connection runs in a background task.
pub async fn connect(uri: &str) -> Result<Client, PgError> {
    ConnInfo::parse(uri)?.connect().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmodes() {
        let tls = |u: &str| ConnInfo::parse(u).unwrap().tls;
        assert_eq!(tls("postgres://u:p@h:1/d?sslmode=require"), Tls::Require);
        assert_eq!(tls("postgres://u:p@h:1/d"), Tls::Prefer);
        assert_eq!(tls("postgres://u:p@h:1/d?sslmode=disable"), Tls::Off);
        let c =
            ConnInfo::parse("postgres://u:p@h:1/d?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x").unwrap();
        assert_eq!((c.tls, c.root.as_deref()), (Tls::VerifyFull, Some("/ca.pem")));
        assert_eq!(c.config.get_ssl_mode(), SslMode::Require, "never a fallback to plaintext");
        assert_eq!(tls("postgres://u:p@h:1/d?sslmode=verify-ca"), Tls::VerifyCa);
        assert_eq!(c.config.get_application_name(), Some("x"));
        assert!(ConnInfo::parse("postgres://u:p@h:1/d?sslmode=sometimes").is_err());
    }

    #[test]
    fn awkward_uris() {
        // A password with every character that breaks hand-written parsers, percent-encoded.
        let c = ConnInfo::parse(
            "postgres://avnadmin:p%40ss%3A%2F%3F%23%25w@db.example.com:25060/defaultdb?sslmode=require",
        )
        .unwrap();
        assert_eq!(c.config.get_password(), Some(&b"p@ss:/?#%w"[..]));
        assert_eq!(c.config.get_user(), Some("avnadmin"));
        assert_eq!(c.config.get_ports(), &[25060]);
        let other = c.with_dbname("app db");
        assert_eq!(other.config.get_dbname(), Some("app db"));
        assert_eq!(other.config.get_password(), Some(&b"p@ss:/?#%w"[..]));
        assert!(!c.is_loopback());
        // IPv6 and several hosts.
        let v6 = ConnInfo::parse("postgres://u:p@[::1]:5432/d").unwrap();
        assert!(v6.is_loopback());
        let many = ConnInfo::parse("postgres://u:p@127.0.0.1:5432,localhost:5433/d").unwrap();
        assert_eq!(many.config.get_hosts().len(), 2);
        assert!(many.is_loopback());
        assert!(!ConnInfo::parse("postgres://u:p@127.0.0.1:1,db.example.com:2/d").unwrap().is_loopback());
        // Debug output never shows the password.
        assert!(!format!("{c:?}").contains("p@ss"));
    }
}
