//! The typed HTTP client for the Aiven v1 API.
//!
//! One `reqwest::Client` per [`Client`]; every endpoint goes through [`Client::send`], which sets
//! the headers once, retries what is safe to retry, reports every exchange to an optional
//! [`Observer`], and turns Aiven error bodies into [`Error::Api`]. This crate never prints.
//!
//! Layout: `builder` (configuration and TLS), `transport` (the request funnel, retries, error
//! mapping), `endpoints` (one short method per API call, and path encoding), `error`.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

mod builder;
mod endpoints;
mod error;
mod transport;

pub use builder::ClientBuilder;
pub use endpoints::encode_segment;
pub use endpoints::DeleteOutcome;
pub use error::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The default API base URL.
pub const DEFAULT_URL: &str = "https://api.aiven.io";

/// Receives a description of every HTTP exchange and retry, for `--show-http` and `-v`.
/// Headers given to it never contain the token.
pub trait Observer: Send + Sync {
    fn request(&self, _method: &str, _url: &str, _headers: &[(String, String)], _body: Option<&[u8]>) {}
    fn response(&self, _status: u16, _headers: &[(String, String)], _body: &[u8]) {}
    fn retry(&self, _method: &str, _path: &str, _reason: &str, _delay: Duration, _attempts_left: u32) {}
}

/// When and how often idempotent requests are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 4, base_delay: Duration::from_millis(500), max_delay: Duration::from_secs(8) }
    }
}

impl RetryPolicy {
    /// Capped exponential backoff with full jitter in the upper half.
    fn delay(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.min(16)).min(self.max_delay);
        let half = exp / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// A handle on the API; clones are cheap and share the connection pool.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
    request_timeout: Option<Duration>,
    observer: Option<Arc<dyn Observer>>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Client::builder().base_url("http://127.0.0.1:9").build().is_ok());
        assert!(Client::builder().base_url("http://localhost:9/").build().is_ok());
        assert!(Client::builder().base_url("http://[::1]:9").build().is_ok());
        assert!(matches!(Client::builder().base_url("http://example.com").build(), Err(Error::InsecureUrl { .. })));
        assert!(Client::builder().base_url("http://example.com").insecure(true).build().is_ok());
    }

    #[test]
    fn backoff_is_capped() {
        let r = RetryPolicy::default();
        for a in 0..20 {
            assert!(r.delay(a) <= r.max_delay);
        }
        assert!(r.delay(0) >= r.base_delay / 2);
    }
}
