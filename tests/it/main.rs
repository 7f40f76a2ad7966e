//! Integration tests: the real `avn` binary against real HTTP servers on 127.0.0.1.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod ci_forks;
mod ci_recipes;
mod client;
mod completion;
mod config;
mod differential;
mod docs;
mod expiry;
mod fork_checks;
mod fork_fixture;
mod fork_local;
mod local;
mod local_cli;
mod local_secrets;
mod local_support;
mod official_client;
mod rename_fixture;
mod rename_lease;
mod rename_local;
mod service_create;
mod service_read;
mod service_write;
mod support;
