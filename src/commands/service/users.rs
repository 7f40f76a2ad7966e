//! `avn service user-*`: service users, with the official client's requests, tables and JSON.

use std::io::Read;

use avn_api::inventory::UserCreate;
use avn_api::inventory::UserModify;
use serde_json::Map;
use serde_json::Value;

use crate::context::Context;
use crate::error::CliError;
use crate::output::json;

pub use avn_cli::commands::service::users::*;

const COLUMNS: &[&str] = &["username", "type"];

/// A Valkey user's ACL columns, as the official client adds them.
const VALKEY_COLUMNS: &[&str] = &[
    "access_control.valkey_acl_keys",
    "access_control.valkey_acl_commands",
    "access_control.valkey_acl_categories",
    "access_control.valkey_acl_channels",
];

pub async fn list(ctx: &Context<'_>, args: UserListArgs) -> anyhow::Result<()> {
    let service = ctx.client()?.service_get(ctx.project()?, &args.name).await?;
    let users = json::value(&service.users.unwrap_or_default());
    let rows = users.as_array().cloned().unwrap_or_default();
    let mut columns = COLUMNS.to_vec();
    if service.service_type == "valkey" {
        columns.extend(VALKEY_COLUMNS);
    }
    ctx.printer.emit(users, &rows, &columns)
}

pub async fn get(ctx: &Context<'_>, args: UserGetArgs) -> anyhow::Result<()> {
    let user = json::value(&ctx.client()?.service_user_get(ctx.project()?, &args.name, &args.username).await?);
    let mut columns = COLUMNS.to_vec();
    // Only the ACL columns the user has, as the official client shows them.
    columns.extend(VALKEY_COLUMNS.iter().filter(|c| crate::output::tables::lookup(&user, c).is_some()));
    ctx.printer.emit(user.clone(), &[user], &columns)
}

/// The official client's access_control: each given rule list split on whitespace.
fn access_control(lists: [(&str, &Option<String>); 4]) -> Map<String, Value> {
    let mut access_control = Map::new();
    for (key, v) in lists {
        if let Some(v) = v {
            access_control.insert(key.into(), v.split_whitespace().map(Value::from).collect());
        }
    }
    access_control
}

pub async fn create(ctx: &Context<'_>, args: UserCreateArgs) -> anyhow::Result<()> {
    let access_control = access_control(args.acl.lists());
    let body = UserCreate {
        username: args.username.clone(),
        authentication: args.authentication,
        access_control: (!access_control.is_empty()).then_some(access_control),
    };
    let project = ctx.project()?;
    ctx.client()?.service_user_create(project, &args.name, &body).await?;
    ctx.printer.info(&format!(
        "Created user '{}' in '{}'. Its password: avn service user-get {} --username {} --format '{{password}}'",
        args.username, args.name, args.name, args.username
    ));
    Ok(())
}

pub async fn set_access_control(ctx: &Context<'_>, args: UserSetAccessControlArgs) -> anyhow::Result<()> {
    let body = UserModify {
        operation: avn_api::inventory::SET_ACCESS_CONTROL.into(),
        access_control: Some(access_control(args.acl.lists())),
        ..Default::default()
    };
    ctx.client()?.service_user_modify(ctx.project()?, &args.name, &args.username, &body).await?;
    ctx.printer.info(&format!("Access control of '{}' in '{}' set", args.username, args.name));
    Ok(())
}

pub async fn delete(ctx: &Context<'_>, args: UserDeleteArgs) -> anyhow::Result<()> {
    ctx.client()?.service_user_delete(ctx.project()?, &args.name, &args.username).await?;
    ctx.printer.info(&format!("Deleted user '{}' from '{}'", args.username, args.name));
    Ok(())
}

pub async fn password_reset(ctx: &Context<'_>, args: UserPasswordResetArgs) -> anyhow::Result<()> {
    let new_password = match args.new_password.as_deref() {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            let pw = text.trim_end_matches(['\n', '\r']).to_string();
            if pw.is_empty() {
                return Err(CliError::usage("--new-password -: stdin was empty; nothing was changed").into());
            }
            Some(pw)
        }
        other => other.map(str::to_string),
    };
    if let Some(pw) = &new_password {
        let n = pw.chars().count();
        if !(8..=256).contains(&n) {
            return Err(CliError::usage(format!(
                "--new-password must be 8 to 256 characters long (it has {n}); nothing was changed"
            ))
            .into());
        }
    }
    let body =
        UserModify { operation: avn_api::inventory::RESET_CREDENTIALS.into(), new_password, ..Default::default() };
    ctx.client()?.service_user_modify(ctx.project()?, &args.name, &args.username, &body).await?;
    ctx.printer.info(&format!("New password for '{}' in '{}'; the old one no longer works", args.username, args.name));
    Ok(())
}

pub async fn creds_acknowledge(ctx: &Context<'_>, args: UserCredsAcknowledgeArgs) -> anyhow::Result<()> {
    let body = UserModify { operation: avn_api::inventory::ACKNOWLEDGE_RENEWAL.into(), ..Default::default() };
    ctx.client()?.service_user_modify(ctx.project()?, &args.name, &args.username, &body).await?;
    Ok(())
}
