//! Caching (Valkey, Redis) sessions of the CLI (readiness, renames): the service URI with the
//! project's TLS trust, through the `redis` crate with rustls. A `rediss://` URI is verified
//! against the project's CA where it is known (avn local's, Aiven's), else the system's roots; the
//! password goes only over that TLS session.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::ConnectionAddr;
use redis::IntoConnectionInfo;
use redis::RedisConnectionInfo;

use crate::pg::Trust;

/// Why a session could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum VkError {
    #[error("not a Valkey URI: {0}")]
    Uri(String),
    #[error("TLS: {0}")]
    Certificate(String),
    /// The server answered the TLS handshake with something else: no password was sent.
    #[error("the server does not offer TLS: no password was sent ({0})")]
    TlsDeclined(String),
    /// The server answered, and refused the login (`WRONGPASS`, a disabled user).
    #[error("{0}")]
    Refused(String),
    /// The server answered, and is not ready (`LOADING` its data).
    #[error("{0}")]
    Loading(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Other(String),
}

impl From<redis::RedisError> for VkError {
    fn from(e: redis::RedisError) -> Self {
        let text = e.to_string();
        if e.kind() == redis::ErrorKind::AuthenticationFailed
            || matches!(e.code(), Some("WRONGPASS" | "NOAUTH" | "NOPERM"))
        {
            VkError::Refused(text)
        } else if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading)
            || e.code() == Some("LOADING")
        {
            VkError::Loading(text)
        } else if ["InvalidContentType", "corrupt message", "InappropriateMessage", "wrong version number"]
            .iter()
            .any(|t| text.contains(t))
        {
            VkError::TlsDeclined(text)
        } else if text.contains("certificate") || text.contains("InvalidCertificate") || text.contains("UnknownIssuer")
        {
            VkError::Certificate(text)
        } else if e.is_connection_refusal() || e.is_timeout() {
            VkError::Unreachable(text)
        } else {
            VkError::Other(text)
        }
    }
}

/// A Caching service URI (`rediss://user:password@host:port[/db]`) and the TLS trust to use.
#[derive(Clone)]
pub struct VkConn {
    host: String,
    port: u16,
    user: String,
    password: String,
    db: i64,
    tls: bool,
    trust: Trust,
}

impl VkConn {
    pub fn parse(uri: &str, trust: Trust) -> Result<VkConn, VkError> {
        let u = url::Url::parse(uri).map_err(|e| VkError::Uri(e.to_string()))?;
        let tls = match u.scheme() {
            "rediss" | "valkeys" => true,
            "redis" | "valkey" => false,
            other => return Err(VkError::Uri(format!("scheme {other}"))),
        };
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().to_string();
        let host = u.host_str().ok_or_else(|| VkError::Uri("no host".into()))?.to_string();
        let db = u.path().trim_start_matches('/').parse().unwrap_or(0);
        Ok(VkConn {
            host,
            port: u.port().unwrap_or(6379),
            user: if u.username().is_empty() { "default".into() } else { decode(u.username()) },
            password: u.password().map(decode).unwrap_or_default(),
            db,
            tls,
            trust,
        })
    }

    /// Whether a plain-text Caching server answers on this address: `PING` without a login, its
    /// reply (`+PONG`, `-NOAUTH …`) read within 3 s. A server behind a `rediss://` URI that never
    /// finishes a TLS handshake is one when this says so. No password is sent.
    pub async fn answers_in_plain_text(&self) -> bool {
        use tokio::io::AsyncReadExt;
        use tokio::io::AsyncWriteExt;
        let probe = async {
            let mut s = tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await.ok()?;
            s.write_all(b"PING\r\n").await.ok()?;
            let mut buf = [0u8; 64];
            let n = s.read(&mut buf).await.ok()?;
            Some(n > 0 && (buf[0] == b'+' || buf[0] == b'-'))
        };
        tokio::time::timeout(Duration::from_secs(3), probe).await.ok().flatten().unwrap_or(false)
    }

    pub fn is_tls(&self) -> bool {
        self.tls
    }

    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// Open a session and log in (`HELLO`/`AUTH`), within `timeout`.
    pub async fn connect(&self, timeout: Duration) -> Result<MultiplexedConnection, VkError> {
        let addr = if self.tls {
            ConnectionAddr::TcpTls {
                host: self.host.clone(),
                port: self.port,
                insecure: matches!(self.trust, Trust::Insecure),
                tls_params: None,
            }
        } else {
            ConnectionAddr::Tcp(self.host.clone(), self.port)
        };
        let mut settings =
            RedisConnectionInfo::default().set_username(&self.user).set_db(self.db).set_skip_set_lib_name();
        if !self.password.is_empty() {
            settings = settings.set_password(&self.password);
        }
        let info = addr.into_connection_info()?.set_redis_settings(settings);
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(Duration::from_secs(600)));
        if let (Trust::ProjectCa(pem), true) = (&self.trust, self.tls) {
            // Verified against the project's CA first (avn local's services chain to it); a
            // certificate that chains to the system's roots instead is verified against those.
            let with_ca = redis::Client::build_with_tls(
                info.clone(),
                redis::TlsCertificates { client_tls: None, root_cert: Some(pem.as_ref().clone()) },
            )?;
            match with_ca.get_multiplexed_async_connection_with_config(&config).await.map_err(VkError::from) {
                Err(VkError::Certificate(_)) => {}
                other => return other,
            }
        }
        Ok(redis::Client::open(info)?.get_multiplexed_async_connection_with_config(&config).await?)
    }
}

/// The system's trusted roots as PEM (Debian's bundle), or nothing where there is none.
pub fn system_roots() -> Vec<u8> {
    std::fs::read("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_read_with_their_login() {
        let c = super::VkConn::parse("rediss://default:p%40ss@127.0.0.1:6380", Default::default()).unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.user.as_str(), c.password.as_str(), c.tls),
            ("127.0.0.1", 6380, "default", "p@ss", true)
        );
        assert!(c.is_loopback());
        let c = super::VkConn::parse("redis://h.example:1/2", Default::default()).unwrap();
        assert_eq!((c.user.as_str(), c.db, c.tls), ("default", 2, false));
        assert!(super::VkConn::parse("postgres://x@y/z", Default::default()).is_err());
    }
}
