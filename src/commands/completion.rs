use clap::Args;

use crate::output::Printer;

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
    let mut cmd = crate::cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "avn", &mut buf);
    printer.line(String::from_utf8_lossy(&buf).trim_end())?;
    Ok(())
}
