use clap::Args;

use crate::output::Printer;

/// Print a shell completion script
#[derive(Debug, Args)]
#[command(long_about = "Print a shell completion script on stdout.\n\n\
    Examples:\n  avn completion bash > ~/.local/share/bash-completion/completions/avn\n  \
    avn completion zsh > \"${fpath[1]}/_avn\"\n  avn completion fish > ~/.config/fish/completions/avn.fish")]
pub struct CompletionArgs {
    /// Print the script for this shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(printer: &Printer, args: &CompletionArgs) -> anyhow::Result<()> {
    printer.line(crate::docs::completion(args.shell).trim_end())?;
    Ok(())
}
