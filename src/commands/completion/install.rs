//! `avn completion install [SHELL]`: write the script where the shell finds it.

use std::path::Path;
use std::path::PathBuf;

use clap::ValueEnum;

use crate::dirs;
use crate::env_vars;
use crate::error::CliError;
use crate::output::Printer;

pub use avn_cli::commands::completion::install::InstallArgs;

pub use avn_cli::commands::completion::install::InstallShell;

/// The shell `$SHELL` names.
fn shell_from_env() -> Result<InstallShell, CliError> {
    let shell = env_vars::get(env_vars::SHELL).unwrap_or_default();
    let name = Path::new(&shell).file_name().and_then(|n| n.to_str()).unwrap_or("");
    InstallShell::from_str(name, false).map_err(|_| {
        let what = if shell.is_empty() { "SHELL is not set".to_string() } else { format!("SHELL is {shell}") };
        CliError::usage(format!("cannot tell which shell to install completion for: {what}"))
            .hint("name it: avn completion install bash|zsh|fish")
    })
}

/// Where a shell looks for avn's completion script.
fn target(shell: InstallShell) -> PathBuf {
    match shell {
        InstallShell::Bash => dirs::bash_completion_dir().join("avn"),
        InstallShell::Zsh => dirs::zsh_function_dir().join("_avn"),
        InstallShell::Fish => dirs::fish_completion_dir().join("avn.fish"),
    }
}

/// The script for a shell.
fn script(shell: InstallShell) -> String {
    avn_cli::docs::completion(match shell {
        InstallShell::Bash => clap_complete::Shell::Bash,
        InstallShell::Zsh => clap_complete::Shell::Zsh,
        InstallShell::Fish => clap_complete::Shell::Fish,
    })
}

/// A path as it can be written in a startup file: `~/...` when plain, quoted otherwise.
fn rc_path(path: &Path) -> String {
    let shown = dirs::tilde(path);
    let plain = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+~".contains(c));
    match shown.strip_prefix("~/") {
        Some(rest) if plain(rest) => shown.clone(),
        Some(rest) => {
            let escaped: String =
                rest.chars().flat_map(|c| if "\\\"$`".contains(c) { vec!['\\', c] } else { vec![c] }).collect();
            format!("\"$HOME/{escaped}\"")
        }
        None if plain(&shown) => shown.clone(),
        None => format!("'{}'", shown.replace('\'', r"'\''")),
    }
}

/// Whether the startup file at `rc` already has `line` (ignoring surrounding blanks).
fn rc_has(rc: &Path, line: &str) -> bool {
    std::fs::read_to_string(rc).is_ok_and(|text| text.lines().any(|l| l.trim() == line))
}

/// Create `dir` and its parents readable by everyone and writable only by you (zsh's compinit
/// refuses group- or world-writable directories in fpath).
fn create_dir(dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o755);
    b.create(dir).with_context(|| format!("cannot create directory {}", dir.display()))
}

pub fn run(printer: &Printer, args: &InstallArgs) -> anyhow::Result<()> {
    let shell = match args.shell {
        Some(s) => s,
        None => shell_from_env()?,
    };
    let path = target(shell);
    let script = script(shell);
    let unchanged = std::fs::read_to_string(&path).is_ok_and(|s| s == script);
    if unchanged {
        printer.info(&format!("{} is up to date", dirs::tilde(&path)));
    } else {
        create_dir(path.parent().expect("the script is in a directory"))?;
        crate::config::write_atomic(&path, script.as_bytes(), 0o644)?;
        printer.info(&format!("wrote {}", dirs::tilde(&path)));
    }
    match shell {
        InstallShell::Bash => {
            let line = format!("source {}", rc_path(&path));
            if rc_has(&dirs::bashrc(), &line) {
                printer.info("~/.bashrc sources it; new shells complete avn");
            } else {
                printer.info(&format!(
                    "bash-completion loads it in new shells. Without bash-completion, add this line to ~/.bashrc:\n    {line}"
                ));
            }
        }
        InstallShell::Zsh => {
            let fpath = format!("fpath=({} $fpath)", rc_path(path.parent().expect("in a directory")));
            let rc = dirs::zshrc();
            if rc_has(&rc, &fpath) {
                printer.info(&format!("{} adds it to fpath; new shells complete avn", dirs::tilde(&rc)));
            } else {
                printer.info(&format!(
                    "add these lines to {} (the fpath line before any compinit already there), then start a new shell:\n    {fpath}\n    autoload -Uz compinit && compinit",
                    dirs::tilde(&rc)
                ));
            }
        }
        InstallShell::Fish => printer.info("fish loads it in new shells"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_file_paths_are_quoted_only_when_needed() {
        assert_eq!(rc_path(Path::new("/opt/share/avn")), "/opt/share/avn");
        assert_eq!(rc_path(Path::new("/opt/it's here/avn")), r"'/opt/it'\''s here/avn'");
    }
}
