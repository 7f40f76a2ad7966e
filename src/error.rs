//! The one place that turns errors into messages and exit codes.
//!
//! Commands return `anyhow::Error`s; this module finds the [`CliError`] or [`avn_client::Error`]
//! in the chain, picks the documented exit code, and prints `error:` with the cause chain and a
//! `hint:` that says what to do next.

use std::fmt;
use std::process::ExitCode;

use crate::output::Printer;

/// Documented exit codes (also in `avn --help` and `man avn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success = 0,
    Failed = 1,
    Usage = 2,
    Timeout = 3,
    Auth = 4,
    Interrupted = 130,
}

/// An error raised by the CLI itself, with its kind and hints.
#[derive(Debug)]
pub struct CliError {
    pub status: ExitStatus,
    pub message: String,
    pub hints: Vec<String>,
    /// The typed error this one reports, kept whole: `-v` prints its chain.
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl CliError {
    fn new(status: ExitStatus, message: impl Into<String>) -> Self {
        CliError { status, message: message.into(), hints: Vec::new(), source: None }
    }
    /// The operation failed because of `source`: its text is the message, and it stays the cause.
    pub fn failed_because(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::new(ExitStatus::Failed, source.to_string()).because(source)
    }
    /// Keep `source` as the cause of this error.
    pub fn because(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
    /// Bad input; nothing was changed. Exit 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Usage, message)
    }
    /// The operation failed. Exit 1.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Failed, message)
    }
    /// Timed out waiting. Exit 3.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Timeout, message)
    }
    pub fn interrupted() -> Self {
        Self::new(ExitStatus::Interrupted, "interrupted")
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Map a clap parse error: help and version exit 0, usage errors exit 2.
pub fn clap_exit(e: clap::Error) -> ExitCode {
    let _ = e.print();
    match e.kind() {
        clap::error::ErrorKind::DisplayHelp
        | clap::error::ErrorKind::DisplayVersion
        | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => ExitCode::SUCCESS,
        _ => ExitCode::from(ExitStatus::Usage as u8),
    }
}

/// Classify an error: exit status and hints.
pub fn classify(e: &anyhow::Error) -> (ExitStatus, Vec<String>) {
    for cause in e.chain() {
        if let Some(c) = cause.downcast_ref::<CliError>() {
            return (c.status, c.hints.clone());
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return (ExitStatus::Success, vec![]);
            }
        }
        if let Some(c) = cause.downcast_ref::<avn_client::Error>() {
            return classify_client(c);
        }
    }
    (ExitStatus::Failed, vec![])
}

fn classify_client(e: &avn_client::Error) -> (ExitStatus, Vec<String>) {
    use avn_client::Error as E;
    match e {
        E::NotAuthenticated => (
            ExitStatus::Auth,
            vec![
                "log in with `avn user login --token`, or set AIVEN_AUTH_TOKEN".into(),
                "no Aiven account? `avn local up` runs a local control plane with real PostgreSQL".into(),
            ],
        ),
        E::InsecureUrl { .. } => {
            (ExitStatus::Usage, vec!["use https://, or pass --insecure if you really mean plain HTTP".into()])
        }
        E::InvalidUrl { .. } | E::Tls(_) => (ExitStatus::Usage, vec![]),
        E::Connect { .. } => {
            (ExitStatus::Failed, vec!["check the API URL (--url or AIVEN_WEB_URL) and your network".into()])
        }
        E::Timeout { .. } => (ExitStatus::Failed, vec!["raise --request-timeout if the API is slow".into()]),
        _ => match e.status() {
            Some(401) => {
                (ExitStatus::Auth, vec!["the token was refused: log in again with `avn user login --token`".into()])
            }
            Some(403) => {
                (ExitStatus::Auth, vec!["your token lacks permission for this, or the plan does not allow it".into()])
            }
            Some(429) => (ExitStatus::Failed, vec!["the API is rate limiting; try again shortly".into()]),
            _ => (ExitStatus::Failed, vec![]),
        },
    }
}

/// Print an error (unless it is a broken pipe) and return its exit code.
pub fn report(printer: &Printer, e: anyhow::Error) -> ExitCode {
    let (status, hints) = classify(&e);
    if status == ExitStatus::Success {
        return ExitCode::SUCCESS;
    }
    if status == ExitStatus::Interrupted {
        printer.error("interrupted", &[], &hints);
        return ExitCode::from(130);
    }
    let mut chain = e.chain().map(|c| c.to_string());
    let head = chain.next().unwrap_or_default();
    // A cause already told in the message is left out, unless `-v` asks for the whole chain
    // (where each cause is still told once).
    let whole = printer.verbosity() > 0;
    let mut causes: Vec<String> = chain.filter(|c| whole || !head.contains(c.as_str())).collect();
    causes.dedup();
    causes.retain(|c| *c != head);
    printer.error(&head, &causes, &hints);
    ExitCode::from(status as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let e: anyhow::Error = CliError::usage("x").into();
        assert_eq!(classify(&e).0, ExitStatus::Usage);
        let e = anyhow::Error::new(avn_client::Error::NotAuthenticated).context("listing");
        assert_eq!(classify(&e).0, ExitStatus::Auth);
        let api = avn_client::Error::Api {
            method: "GET".into(),
            path: "/v1/x".into(),
            status: 403,
            message: "no".into(),
            errors: vec![],
            retry_after: None,
        };
        assert_eq!(classify(&anyhow::Error::new(api)).0, ExitStatus::Auth);
    }
}
