//! The control plane's domain errors, each kind once: [`OpError`] for what fails inside it (it
//! keeps its cause), with [`Refusal`] for requests it turns down. `routes::error` maps them to
//! Aiven's error body and status codes; nothing else speaks HTTP.

use crate::engines::EngineError;

/// A failure inside the control plane: the store, a cluster, the file system. For background
/// operations its text becomes the service's failure notification.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("state store: {0}")]
    Store(#[from] rusqlite::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("fork details missing")]
    NoForkOrigin,
    #[error("the source service was deleted")]
    SourceGone,
    #[error("the fork stopped replaying at {reached}, short of {wanted}, the last change the source had archived; it is not used")]
    ShortRecovery { reached: String, wanted: String },
    #[error("no base backup that covers the target could be restored; the last one tried, {backup}: {why}")]
    NoBackupRestorable { backup: String, why: String },
    #[error("no base backup ended before the recovery target")]
    NoBackupBeforeTarget,
    #[error("service is gone")]
    ServiceGone,
    #[error("no free port")]
    NoFreePort,
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// A request the control plane turns down, in words for the caller. `routes` gives each kind
/// its HTTP status; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The request is wrong (an unknown plan, a target outside the window).
    #[error("{0}")]
    Invalid(String),
    /// What it names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Termination protection forbids it.
    #[error("{0}")]
    Protected(String),
    /// It conflicts with the service's state (a name taken, a lease, an operation in flight).
    #[error("{0}")]
    Conflict(String),
}

impl Refusal {
    pub fn invalid(m: impl Into<String>) -> OpError {
        Refusal::Invalid(m.into()).into()
    }
    pub fn not_found(m: impl Into<String>) -> OpError {
        Refusal::NotFound(m.into()).into()
    }
    pub fn protected(m: impl Into<String>) -> OpError {
        Refusal::Protected(m.into()).into()
    }
    pub fn conflict(m: impl Into<String>) -> OpError {
        Refusal::Conflict(m.into()).into()
    }
}

impl From<crate::catalog::ConfigError> for OpError {
    fn from(e: crate::catalog::ConfigError) -> Self {
        Refusal::invalid(e.to_string())
    }
}

/// An error and its causes on one line, each cause once.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg = format!("{msg}: {text}");
        }
        src = s.source();
    }
    msg
}
