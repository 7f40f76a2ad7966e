//! The arguments of `avn completion install`.

use clap::Args;
use clap::ValueEnum;

/// Install shell completion for your user
#[derive(Debug, Args)]
#[command(long_about = "Write the completion script where your shell looks for it (creating the \
    directory) and print the lines your shell's startup file needs. Startup files are never edited.\n\n\
    bash: ${XDG_DATA_HOME:-~/.local/share}/bash-completion/completions/avn, which bash-completion \
    loads by itself; without bash-completion, source the file from ~/.bashrc.\n\
    zsh: ~/.zfunc/_avn; ~/.zfunc must be in fpath before compinit runs in ~/.zshrc.\n\
    fish: ${XDG_CONFIG_HOME:-~/.config}/fish/completions/avn.fish, which fish loads by itself.\n\n\
    Run it again after upgrading avn: it replaces the script.\n\n\
    Examples:\n  avn completion install\n  avn completion install zsh")]
pub struct InstallArgs {
    /// Install for this shell [default: the one in $SHELL]
    #[arg(value_enum)]
    pub shell: Option<InstallShell>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InstallShell {
    Bash,
    Zsh,
    Fish,
}
