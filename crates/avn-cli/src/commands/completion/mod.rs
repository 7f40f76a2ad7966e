//! The arguments of `avn completion`.

use clap::Args;
use clap::Subcommand;

pub mod install;

/// Print or install a shell completion script
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    arg_required_else_help = true,
    subcommand_negates_reqs = true,
    long_about = "Print a shell completion script on stdout, or install it with `avn completion install`.\n\n\
    The bash, zsh and fish scripts complete subcommands, options and their values, and the names of \
    services, projects, plans, clouds and backups: each Tab asks avn, which answers from a cache in \
    your cache directory (refreshed after a minute) and waits at most 0.3 s for the API. The elvish \
    and powershell scripts complete subcommands and options only.\n\n\
    Examples:\n  avn completion install\n  avn completion bash > ~/.local/share/bash-completion/completions/avn\n  \
    avn completion zsh > ~/.zfunc/_avn"
)]
pub struct CompletionArgs {
    /// Print the script for this shell
    #[arg(value_enum, required = true)]
    pub shell: Option<clap_complete::Shell>,
    #[command(subcommand)]
    pub command: Option<CompletionCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CompletionCommand {
    Install(install::InstallArgs),
}
