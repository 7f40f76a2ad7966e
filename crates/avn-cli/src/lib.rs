//! The command line of `avn`, as data: the clap definition (every command's arguments, with the
//! doc comments that become `--help`, man pages and completion descriptions), the parsers of its
//! values, the environment variables it reads, and the generated completions and man pages.
//!
//! A crate of its own so that what needs only the definition (`xtask`, which writes
//! `completions/` and `man/`) builds clap and nothing else of avn. The `avn` crate resolves these
//! values (`settings`) and runs the commands; the modules under `commands` mirror its own.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use clap::CommandFactory;
use clap::Parser;

use crate::commands::Command;

pub mod commands;
pub mod docs;
pub mod env_vars;
pub mod parse;

/// The documented exit codes.
pub const EXIT_CODES: &[(u8, &str)] = &[
    (0, "success"),
    (1, "the operation failed (API or network error); a rename that failed was rolled back"),
    (2, "usage or validation error; nothing was changed"),
    (3, "timed out waiting (the operation goes on in the control plane)"),
    (4, "not authenticated or not permitted (no token, HTTP 401/403)"),
    (130, "interrupted (Ctrl-C); the operation goes on, and a rename can be resumed"),
];

pub const EXIT_CODES_HELP: &str = "\
Exit status:
  0    success
  1    the operation failed (API or network error); a rename that failed was rolled back
  2    usage or validation error; nothing was changed
  3    timed out waiting (the operation goes on in the control plane)
  4    not authenticated or not permitted (no token, HTTP 401/403)
  130  interrupted (Ctrl-C); the operation goes on, and a rename can be resumed";

/// Service types offered for completion of `-t` (any other name is accepted too).
pub const SERVICE_TYPES: &[&str] = &[
    "pg",
    "mysql",
    "kafka",
    "kafka_connect",
    "kafka_mirrormaker",
    "opensearch",
    "valkey",
    "clickhouse",
    "grafana",
    "cassandra",
    "dragonfly",
    "flink",
    "m3db",
    "thanos",
    "alloydbomni",
];

/// A `-t TYPE` value: any string, with the known service types as completion candidates.
#[derive(Clone, Debug, Default)]
pub struct ServiceTypeValue;

impl clap::builder::TypedValueParser for ServiceTypeValue {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(SERVICE_TYPES.iter().map(|t| clap::builder::PossibleValue::new(*t))))
    }
}

/// What avn is, in one line (`avn --help`, the man page's NAME): the avn package's description.
pub const ABOUT: &str =
    "Aiven services from the command line: avn-compatible, with safe forks, point-in-time recovery and renames";

/// `avn --version`: names this implementation, since Aiven's Python client is also called `avn`
/// (its `--version` says `aiven-client 4.18.0`).
pub const VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (the Rust avn, with forks and safe renames; not Aiven's aiven-client)");

/// Manage Aiven services: avn-compatible, with safe forks, point-in-time recovery and renames
#[derive(Debug, Parser)]
#[command(
    name = "avn",
    version = VERSION,
    about = ABOUT,
    long_about = "Manage Aiven services from the command line.\n\n\
        avn accepts the official client's `avn service ...` command lines and adds first-class \
        forking, point-in-time recovery and safe renames. Global options may be given before \
        or after the subcommand.",
    after_help = EXIT_CODES_HELP,
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every command, before or after the subcommand.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Use this API base URL
    #[arg(
        long,
        global = true,
        env = "AIVEN_WEB_URL",
        hide_env_values = true,
        value_name = "URL",
        help_heading = "Global options"
    )]
    pub url: Option<String>,

    /// Authenticate with this API token (prefer AIVEN_AUTH_TOKEN: arguments show up in process lists)
    #[arg(
        long,
        global = true,
        env = "AIVEN_AUTH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        help_heading = "Global options"
    )]
    pub auth_token: Option<String>,

    /// Work in this project instead of the default one
    #[arg(
        long,
        global = true,
        env = "AIVEN_PROJECT",
        hide_env_values = true,
        value_name = "PROJECT",
        help_heading = "Global options"
    )]
    pub project: Option<String>,

    /// Read the client config from this file
    #[arg(
        long,
        global = true,
        env = "AIVEN_CLIENT_CONFIG",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Global options"
    )]
    pub config: Option<PathBuf>,

    /// Trust this CA bundle (PEM) for the API's TLS certificate
    #[arg(
        long,
        global = true,
        env = "AIVEN_CA_CERT",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Global options"
    )]
    pub auth_ca: Option<PathBuf>,

    /// Print the API objects as JSON on stdout
    #[arg(long, global = true, conflicts_with = "format", help_heading = "Global options")]
    pub json: bool,

    /// Print one line per item from a template such as '{service_name} {state}'
    #[arg(long, global = true, value_name = "TEMPLATE", help_heading = "Global options")]
    pub format: Option<String>,

    /// Show more detail (can be repeated)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,

    /// Print each HTTP request and response on stderr (token and passwords masked)
    #[arg(long, global = true, help_heading = "Global options")]
    pub show_http: bool,

    /// Show passwords in tables, details and messages too (--json and --format always carry them)
    #[arg(long, global = true, help_heading = "Global options")]
    pub show_secrets: bool,

    /// Give up on one HTTP request after this long (seconds, or like 30s, 2m)
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration, help_heading = "Global options")]
    pub request_timeout: Option<Duration>,

    /// Allow plain http:// to hosts other than localhost
    #[arg(long, global = true, help_heading = "Global options")]
    pub insecure: bool,

    /// Accept an unverified certificate from a PostgreSQL service whose URI says sslmode=require
    /// (TLS is still required; by default its certificate must chain to the project's CA)
    #[arg(long, global = true, help_heading = "Global options")]
    pub pg_insecure_tls: bool,

    /// Accepted for compatibility with the official client; connections are pooled automatically
    #[arg(long, global = true, hide = true, value_name = "SECONDS", allow_negative_numbers = true)]
    pub idle_timeout: Option<f64>,

    /// Accepted for compatibility with the official client; connections are pooled automatically
    #[arg(long, global = true, hide = true, value_name = "SECONDS", allow_negative_numbers = true)]
    pub max_age: Option<f64>,
}

/// A service name as the API can hold one: checked before any request, so `avn service get ''`
/// is a usage error, not a request for a path nobody meant.
pub fn service_name(s: &str) -> Result<String, String> {
    avn_api::names::validate_service_name(s)
        .map(|()| s.to_string())
        .map_err(|e| format!("{e}: {}", avn_api::names::InvalidName::RULE))
}

pub use parse::parse_duration;

pub use parse::parse_env_file;

/// `--expires-in` / `--expires-at`: when a service (a CI copy, say) is terminated on its own.
#[derive(Debug, Clone, Default, Args)]
pub struct ExpiryArgs {
    /// Terminate the service after this long (by `avn service prune`, or by avn local on its own):
    /// 1d, 8h, 90m; stored as the service tag avn_expires_at
    #[arg(long, value_name = "DURATION", conflicts_with = "expires_at", help_heading = "Expiry")]
    pub expires_in: Option<String>,
    /// Terminate the service after this instant: 2026-11-22T10:00:00Z, an offset, or UTC without a zone
    #[arg(long, value_name = "TIME", help_heading = "Expiry")]
    pub expires_at: Option<String>,
}

/// The full clap command, for xtask (completions, man pages) and tests.
pub fn command() -> clap::Command {
    Cli::command()
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_consistent() {
        super::command().debug_assert();
    }

    #[test]
    fn exit_code_help_matches_the_list() {
        for (code, meaning) in super::EXIT_CODES {
            assert!(super::EXIT_CODES_HELP.contains(&format!("{code:<4} {meaning}")), "{code}");
        }
    }
}
