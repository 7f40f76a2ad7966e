//! Prompts, only when a person is there: stdin and stderr must be terminals.

use std::io::IsTerminal;

use anyhow::Context as _;

pub fn can_prompt() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Read one line typed at a prompt on stderr.
pub fn read_line(prompt: &str) -> anyhow::Result<String> {
    let s: String = dialoguer::Input::new()
        .with_prompt(prompt)
        .allow_empty(true)
        .interact_text()
        .context("cannot read from the terminal")?;
    Ok(s.trim().to_string())
}

/// Read a secret without echo.
pub fn password(prompt: &str) -> anyhow::Result<String> {
    dialoguer::Password::new()
        .with_prompt(prompt)
        .allow_empty_password(true)
        .interact()
        .context("cannot read from the terminal")
}
