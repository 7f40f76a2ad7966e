//! The arguments of `avn service tags list|update|replace`.

use clap::Args;
use clap::Subcommand;

/// A `KEY=VALUE` tag.
fn tag(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("'{s}' is not KEY=VALUE")),
    }
}

/// List or change a service's tags
#[derive(Debug, Args)]
#[command(about = "List or change a service's tags")]
pub struct TagsArgs {
    #[command(subcommand)]
    pub command: TagsCommand,
}

#[derive(Debug, Subcommand)]
pub enum TagsCommand {
    List(TagsListArgs),
    Update(TagsUpdateArgs),
    Replace(TagsReplaceArgs),
}

/// List a service's tags
#[derive(Debug, Args)]
#[command(long_about = "List a service's tags: KEY and VALUE (--json: a list of {key, value}).\n\n\
    Examples:\n  avn service tags list db1\n  avn service tags list db1 --json")]
pub struct TagsListArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
}

/// Add or remove some of a service's tags
#[derive(Debug, Args)]
#[command(long_about = "Add, change or remove some of a service's tags; the others stay. The tags \
    avn's renames and expiries own (avn_rename*, avn_expires_at) are refused while they are in use.\n\n\
    Examples:\n  avn service tags update db1 --add-tag team=billing --remove-tag old")]
pub struct TagsUpdateArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// Add or change a tag (KEY=VALUE); can be repeated
    #[arg(long, value_name = "KEY=VALUE", value_parser = tag)]
    pub add_tag: Vec<(String, String)>,
    /// Remove a tag; can be repeated
    #[arg(long, value_name = "KEY")]
    pub remove_tag: Vec<String>,
}

/// Replace all of a service's tags
#[derive(Debug, Args)]
#[command(long_about = "Replace all of a service's tags with the ones given (none given: remove \
    them all).\n\n\
    Examples:\n  avn service tags replace db1 --tag team=billing --tag env=prod")]
pub struct TagsReplaceArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// A tag (KEY=VALUE); can be repeated
    #[arg(long, value_name = "KEY=VALUE", value_parser = tag)]
    pub tag: Vec<(String, String)>,
}
