//! `avn completion SHELL` prints a completion script; `avn completion install` puts it in place.

use crate::output::Printer;

pub mod install;

pub use avn_cli::commands::completion::CompletionArgs;

pub use avn_cli::commands::completion::CompletionCommand;

pub fn run(printer: &Printer, args: &CompletionArgs) -> anyhow::Result<()> {
    match (&args.command, args.shell) {
        (Some(CompletionCommand::Install(a)), _) => install::run(printer, a),
        (None, Some(shell)) => {
            printer.line(avn_cli::docs::completion(shell).trim_end())?;
            Ok(())
        }
        (None, None) => unreachable!("clap requires SHELL without a subcommand"),
    }
}
