use std::time::Duration;

use avn_api::ErrorItem;

/// Everything a call to the Aiven API can fail with. Never carries the token.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a structured Aiven error body.
    #[error("{message} (HTTP {status} from {method} {path})")]
    Api {
        method: String,
        path: String,
        status: u16,
        message: String,
        errors: Vec<ErrorItem>,
        retry_after: Option<Duration>,
    },
    /// The server answered with an error that is not an Aiven error body.
    #[error("HTTP {status} from {method} {path}: {body}")]
    UnexpectedBody { method: String, path: String, status: u16, body: String, retry_after: Option<Duration> },
    /// No connection could be made (the request was never sent).
    #[error("cannot connect to {url}: {detail}")]
    Connect { url: String, detail: String },
    /// The request did not complete within the request timeout.
    #[error("{method} {path} timed out after {timeout:?}")]
    Timeout { method: String, path: String, timeout: Duration },
    /// The connection broke after the request may have been sent.
    #[error("{method} {path} failed: {detail}")]
    Transport { method: String, path: String, detail: String },
    /// A 2xx body that is not what the endpoint documents.
    #[error("unexpected response to {method} {path}: {detail}")]
    Decode { method: String, path: String, detail: String },
    #[error("not authenticated: no API token is configured")]
    NotAuthenticated,
    #[error("refusing plain http:// to non-loopback host '{host}': the token would travel unencrypted")]
    InsecureUrl { host: String },
    #[error("invalid API URL '{url}': {detail}")]
    InvalidUrl { url: String, detail: String },
    #[error("cannot use CA certificate: {0}")]
    Tls(String),
}

impl Error {
    /// The HTTP status the server answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::UnexpectedBody { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// The server's own message (or the raw body) for an HTTP error.
    pub fn api_message(&self) -> Option<&str> {
        match self {
            Error::Api { message, .. } => Some(message),
            Error::UnexpectedBody { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Whether a request that changes something may or may not have taken effect: the
    /// connection broke after sending, it timed out, or a gateway failed.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::Transport { .. }) || matches!(self.status(), Some(502..=504))
    }

    /// Whether the same request may succeed if tried again: the network, a timeout, rate limits
    /// (429) and gateways (502–504). The one rule for every retry in avn (the client's own, a
    /// guarded delete's, and the waits that poll).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Connect { .. } | Error::Timeout { .. } | Error::Transport { .. })
            || matches!(self.status(), Some(429 | 502..=504))
    }

    /// Why a retryable error is tried again, in a few words (`HTTP 429 Too Many Requests`).
    pub fn retry_reason(&self) -> String {
        match self.status() {
            Some(429) => "HTTP 429 Too Many Requests".to_string(),
            Some(s) => format!("HTTP {s}"),
            None => self.to_string(),
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } | Error::UnexpectedBody { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}
