//! Connecting to PostgreSQL services with their URI (readiness checks, rename steps).
//!
//! URIs are parsed by `tokio_postgres::Config` (percent-encoded passwords, IPv6 hosts, several
//! hosts); only libpq's `sslmode` values and `sslrootcert`, which tokio-postgres does not know,
//! are taken out of the query first. TLS follows libpq's `sslmode`: `disable` uses none; `prefer`
//! and `require` encrypt without checking the certificate (as libpq does; Aiven URIs say
//! `require`); `verify-ca` and `verify-full` check it against `sslrootcert` (a PEM file) or the
//! web PKI roots.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::client::danger::ServerCertVerified;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::ServerName;
use rustls::pki_types::UnixTime;
use rustls::DigitallySignedStruct;
use rustls::SignatureScheme;
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tls {
    Off,
    Encrypt,
    Verify,
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
        let mut tls = Tls::Encrypt;
        let mut root = None;
        let mut kept = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*k {
                "sslmode" => {
                    tls = match &*v {
                        "disable" | "allow" => Tls::Off,
                        "verify-ca" | "verify-full" => Tls::Verify,
                        "prefer" | "require" => Tls::Encrypt,
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
        config.ssl_mode(if tls == Tls::Off { SslMode::Disable } else { SslMode::Prefer });
        Ok(ConnInfo { config, tls, root })
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
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(self.tls, self.root.as_deref())?);
        let (client, conn) = self.config.connect(tls).await?;
        tokio::spawn(conn);
        Ok(client)
    }
}

#[derive(Debug)]
struct AcceptAnyCert(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_config(mode: Tls, root: Option<&str>) -> Result<rustls::ClientConfig, PgError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| PgError::Tls(e.to_string()))?;
    if mode == Tls::Encrypt {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| PgError::Tls(format!("cannot read sslrootcert {path}: {e}")))?;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert = cert.map_err(|e| PgError::Tls(format!("sslrootcert {path}: {e}")))?;
                roots.add(cert).map_err(|e| PgError::Tls(format!("sslrootcert {path}: {e}")))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
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
        assert_eq!(tls("postgres://u:p@h:1/d?sslmode=require"), Tls::Encrypt);
        assert_eq!(tls("postgres://u:p@h:1/d"), Tls::Encrypt);
        assert_eq!(tls("postgres://u:p@h:1/d?sslmode=disable"), Tls::Off);
        let c =
            ConnInfo::parse("postgres://u:p@h:1/d?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x").unwrap();
        assert_eq!((c.tls, c.root.as_deref()), (Tls::Verify, Some("/ca.pem")));
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
