//! The command line as `avn` uses it: the definition is `avn_cli`'s (plain data, shared with
//! `xtask`); what resolving it needs from the rest of avn is here.

pub use avn_cli::*;

/// What the global options ask of the output.
pub fn output_options(g: &GlobalArgs) -> crate::output::OutputOptions {
    crate::output::OutputOptions {
        json: g.json,
        format: g.format.clone(),
        verbose: g.verbose,
        show_secrets: g.show_secrets,
    }
}

/// Whether this runs the local control plane in the foreground (`avn local serve`).
pub fn is_local_serve(cli: &Cli) -> bool {
    matches!(cli.command, commands::Command::Local(commands::local::LocalCommand::Serve(_)))
}

/// `--expires-in`/`--expires-at`: the instant, checked to be in the future; None when neither
/// option is given.
pub fn resolve_expiry(e: &ExpiryArgs) -> Result<Option<jiff::Timestamp>, crate::error::CliError> {
    crate::expiry::resolve(e.expires_in.as_deref(), e.expires_at.as_deref(), jiff::Timestamp::now())
}
