//! The arguments of `avn user`.

use clap::Args;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    Login(LoginArgs),
    /// Forget the stored API token
    Logout,
    /// Show the user the token belongs to
    #[command(long_about = "Show the user the API token belongs to: USER, REAL_NAME, STATE, \
        TOKEN_VALIDITY_BEGIN, PROJECTS and AUTH, as the official client does (--json prints a list \
        of that one user).\n\n\
        Examples:\n  avn user info\n  avn user info --json")]
    Info,
}

/// Log in with an API token
#[derive(Debug, Args)]
#[command(long_about = "Log in with an API token and store it in aiven-credentials.json (mode 0600).\n\n\
    The token is read from AIVEN_AUTH_TOKEN, else from stdin when it is not a terminal, else from a \
    hidden prompt; it is never taken from the command line. It is checked with the API before it is \
    stored. If no default project is set, the first project the token sees becomes the default.\n\n\
    Examples:\n  avn user login --token\n  printf '%s' \"$TOKEN\" | avn user login --token me@example.com")]
pub struct LoginArgs {
    /// Record this email address beside the token
    pub email: Option<String>,
    /// Log in with an API token (the only login method this tool supports)
    #[arg(long)]
    pub token: bool,
    /// Accepted for compatibility with the official client
    #[arg(long, hide = true)]
    pub tenant: Option<String>,
}
