//! `avn`: Aiven services from the command line.
//!
//! Flow: `cli` parses (the definition is the `avn-cli` crate: data only), `settings` resolves
//! flags, environment and files once,
//! `context` builds the client and printer, `commands` run, and `error` maps the outcome to a
//! documented exit code.
//!
//! Layers, and the one direction they depend in: `commands` (clap argument structs, each turned
//! into resolved values) → domain modules (`fork`, `rename`, `readiness`, `create_request`,
//! `integrations`, `pg`, `time`, `user_config`) → `avn_client` → `avn_api`. Every layer may use
//! `context`, `output` and `error`. Domain modules never import from `commands` or take clap
//! types; a command never calls another command's module (shared rendering lives in `output`);
//! `avn_local` is used only by `commands::local`, and by `local_state` and `settings` to find
//! the active local control plane's token (its data directory through `LocalDir`).
//! `complete` answers the shell's completion scripts (`avn __complete ...`) before any of this
//! runs.
//!
//! The tree:
//!
//! ```text
//! cli.rs, settings.rs, context.rs   parse (avn_cli's definition); resolve flags, environment
//!                  and files; client, printer
//! commands/        one module per command (service/, local/, project, user, completion), each
//!                  running the arguments avn_cli::commands defines at the same path
//! fork/            the one fork engine: request, existing (what NEW holds), preflight, report,
//!                  replace, run_sql
//! rename/          the rename saga: plan, preflight, stages, delete, saga (driving and the end),
//!                  rollback, journal (typed, locked), fence, repoint, postgres
//! readiness/       waiting until services are RUNNING and accept connections
//! create_request.rs  names, plans, schemas and -c options of create requests
//! user_config/     -c options typed and checked by the schema
//! output/          the one owner of stdout and stderr: tables, --json, --format, progress
//! error.rs         CliError (kind, hints, source chain) and exit codes
//! expiry.rs, lease.rs   the expiry and rename-lease tags, as the CLI sets and reads them
//! pg/              PostgreSQL connections with verified TLS (renames, waits, --run-sql)
//! integrations.rs, time.rs, env_file.rs, prompt.rs
//! config.rs, dirs.rs, local_state.rs   files avn reads (the variables: avn_cli::env_vars)
//! complete/        shell completion, answered before anything else starts
//! ```
//!
//! Beside it in the workspace: `avn-cli` (the command line as data: clap definition, value
//! parsers, environment variables, completions and man pages), `avn-api` (wire types and their
//! rules), `avn-client` (the HTTP client), `avn-local` (the local control plane), `avn-util`
//! (crash-safe writes, deadline waits), `xtask` (writes completions and man pages; it depends on
//! `avn-cli` alone).

use std::process::ExitCode;

use clap::Parser;

pub mod cli;
mod commands;
mod complete;
mod config;
mod context;
mod create_request;
mod dirs;
pub use avn_cli::docs;
mod env_file;
pub use avn_cli::env_vars;
mod error;
mod expiry;
mod fork;
mod integrations;
mod lease;
mod local_state;
mod mysql;
mod output;
#[cfg(test)]
mod parser_properties;
pub mod pg;
mod prompt;
mod readiness;
mod rename;
mod settings;
pub mod time;
mod user_config;
mod valkey;

pub use error::ExitStatus;

/// Parse the process arguments, run the command and return its exit code.
pub fn main() -> ExitCode {
    #[cfg(feature = "failpoints")]
    let _failpoints = fail::FailScenario::setup();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if complete::requested(&args) {
        return complete::main(&args);
    }
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => return error::clap_exit(e),
    };
    let printer = output::Printer::new(cli::output_options(&cli.global));
    // The local control plane serves many clients while it copies and replays gigabytes: give it
    // worker threads. Every other command is one client and starts faster on one thread.
    let runtime = if cli::is_local_serve(&cli) {
        tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build()
    } else {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => return error::report(&printer, anyhow::Error::new(e).context("cannot start the async runtime")),
    };
    let result = runtime.block_on(commands::run(cli, &printer));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => error::report(&printer, e),
    }
}
