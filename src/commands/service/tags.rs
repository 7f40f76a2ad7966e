//! `avn service tags list|update|replace`, as the official client has them.

use serde_json::Value;

use crate::context::Context;

pub use avn_cli::commands::service::tags::*;

pub async fn run(ctx: &Context<'_>, args: TagsArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let client = ctx.client()?;
    match args.command {
        TagsCommand::List(a) => {
            let tags = client.service_tags(project, &a.name).await?;
            let rows: Vec<Value> = tags.iter().map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect();
            ctx.printer.emit(Value::Array(rows.clone()), &rows, &["key", "value"])
        }
        TagsCommand::Update(a) => {
            // The official client's order: removals first, then additions win.
            let mut changes: std::collections::BTreeMap<String, Option<String>> =
                a.remove_tag.iter().map(|k| (k.clone(), None)).collect();
            changes.extend(a.add_tag.into_iter().map(|(k, v)| (k, Some(v))));
            let message = client.service_tags_update_message(project, &a.name, &changes).await?;
            Ok(ctx.printer.line(&message)?)
        }
        TagsCommand::Replace(a) => {
            let mut tags: std::collections::BTreeMap<String, String> = a.tag.into_iter().collect();
            // A rename's lease is not the user's to drop by accident: it stays (end the rename, or
            // `avn service rename OLD NEW --abort`, to release it).
            let current = client.service_tags(project, &a.name).await?;
            if avn_api::lease::Lease::of(&current).is_some() {
                for k in avn_api::lease::OWN_TAGS {
                    if let (Some(v), false) = (current.get(*k), tags.contains_key(*k)) {
                        tags.insert(k.to_string(), v.clone());
                    }
                }
                ctx.printer.warn(&format!(
                    "'{}' is under a rename: its lease tags are kept (the rename releases them when it ends)",
                    a.name
                ));
            }
            let message = client.service_tags_replace_message(project, &a.name, &tags).await?;
            Ok(ctx.printer.line(&message)?)
        }
    }
}
