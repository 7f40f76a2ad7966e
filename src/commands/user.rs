use std::io::BufRead;
use std::io::IsTerminal;

use anyhow::Context as _;

use crate::context::Context;
use crate::env_vars;
use crate::error::CliError;
use crate::prompt;

pub use avn_cli::commands::user::UserCommand;

pub use avn_cli::commands::user::LoginArgs;

pub async fn run(ctx: &Context<'_>, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Login(args) => login(ctx, args).await,
        UserCommand::Logout => logout(ctx),
        UserCommand::Info => info(ctx).await,
    }
}

fn read_token() -> anyhow::Result<String> {
    if let Some(t) = env_vars::get(env_vars::AIVEN_AUTH_TOKEN) {
        return Ok(t);
    }
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the token from stdin")?;
        return Ok(line.trim().to_string());
    }
    if prompt::can_prompt() {
        return prompt::password("Aiven API token");
    }
    Err(CliError::usage("no token to log in with").hint("set AIVEN_AUTH_TOKEN or pipe the token on stdin").into())
}

async fn login(ctx: &Context<'_>, args: LoginArgs) -> anyhow::Result<()> {
    if !args.token {
        return Err(CliError::usage("password login is not supported; log in with an API token")
            .hint("create a token in the Aiven Console (User information > Tokens), then run `avn user login --token`")
            .into());
    }
    let token = read_token()?;
    if token.is_empty() {
        return Err(CliError::usage("the token is empty; nothing was stored").into());
    }
    let client = avn_client::Client::builder()
        .base_url(&ctx.settings.url)
        .token(Some(token.clone()))
        .insecure(ctx.settings.insecure)
        .user_agent(format!("avn/{}", env!("CARGO_PKG_VERSION")))
        .build()?;
    let projects =
        client.project_list().await.context("the token could not be checked with the API; nothing was stored")?;
    let mut creds = ctx.settings.credentials.clone();
    creds.data.insert("auth_token".into(), token.into());
    if let Some(email) = args.email {
        creds.data.insert("user_email".into(), email.into());
    }
    creds.save(false)?;
    ctx.printer.info(&format!("Aiven credentials written to: {}", creds.path.display()));
    let mut cfg = ctx.settings.client_config.clone();
    let current = cfg.get_str("default_project").map(str::to_string);
    let listed = |p: &str| projects.iter().any(|x| x.project_name == p);
    match (current, projects.first()) {
        (Some(p), _) if listed(&p) => {}
        (_, Some(first)) => {
            cfg.data.insert("default_project".into(), first.project_name.clone().into());
            cfg.save(true)?;
            ctx.printer.info(&format!(
                "Default project set as '{}' (change with 'avn project switch <project>')",
                first.project_name
            ));
        }
        (_, None) => ctx.printer.warn("your token sees no projects"),
    }
    Ok(())
}

fn logout(ctx: &Context<'_>) -> anyhow::Result<()> {
    let path = &ctx.settings.credentials.path;
    match std::fs::remove_file(path) {
        Ok(()) => ctx.printer.info(&format!("Removed {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ctx.printer.info("Not logged in; nothing to remove"),
        Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
    if env_vars::get(env_vars::AIVEN_AUTH_TOKEN).is_some() {
        ctx.printer.warn("AIVEN_AUTH_TOKEN is set in the environment and still authenticates commands");
    }
    Ok(())
}

/// `avn user info`: the official client's table (`user`, `real_name`, `state`,
/// `token_validity_begin`, `projects`, `auth`); `--json` is a list of the one user, as it prints.
async fn info(ctx: &Context<'_>) -> anyhow::Result<()> {
    let me = crate::output::json::value(&ctx.client()?.me().await?);
    let rows = vec![me];
    ctx.printer.emit(
        serde_json::Value::Array(rows.clone()),
        &rows,
        &["user", "real_name", "state", "token_validity_begin", "projects", "auth"],
    )
}
