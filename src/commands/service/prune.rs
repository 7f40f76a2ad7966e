use clap::Args;
use serde_json::json;
use serde_json::Value;

use crate::context::Context;
use crate::error::CliError;
use crate::expiry;

/// Terminate the project's services whose expiry has passed
#[derive(Debug, Args)]
#[command(long_about = "Terminate every service of the project whose expiry (the avn_expires_at \
    tag, set with --expires-in/--expires-at) has passed. A service without the tag is never touched; \
    an expired one with termination protection, or under a rename (the avn_rename lease), is listed \
    as skipped, with why: a rename's services wait until it ends. Without a terminal \
    it needs --yes (a dry run needs nothing). Exit 0 when everything went as planned, 1 when a \
    termination failed.\n\n\
    Examples:\n  avn service prune --dry-run\n  avn service prune --yes --json\n  \
    avn service prune -t pg --tag team=ci --yes")]
pub struct PruneArgs {
    /// Show what would be terminated, terminate nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Terminate without asking
    #[arg(short = 'y', long, visible_alias = "force")]
    pub yes: bool,
    /// Only services of this type
    #[arg(short = 't', long = "service-type", value_name = "TYPE", value_parser = crate::cli::ServiceTypeValue, hide_possible_values = true)]
    pub service_type: Option<String>,
    /// Only services with this tag (can be repeated: all must match)
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
}

pub async fn run(ctx: &Context<'_>, args: PruneArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let filters: Vec<(String, String)> = args
        .tags
        .iter()
        .map(|t| match t.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(CliError::usage(format!("--tag {t}: write it as KEY=VALUE"))),
        })
        .collect::<Result<_, _>>()?;
    let client = ctx.client()?;
    let now = jiff::Timestamp::now();
    let mut expired = vec![];
    for s in client.service_list(project).await? {
        let Some(at) = expiry::of(s.tags.as_ref()) else { continue };
        let typed = args.service_type.as_ref().is_none_or(|t| &s.service_type == t);
        let tagged = filters.iter().all(|(k, v)| s.tags.as_ref().and_then(|t| t.get(k)) == Some(v));
        if at <= now && typed && tagged {
            expired.push((s, at));
        }
    }
    // A service under a rename lease waits for the rename: its expiry is honoured once it ends.
    let (leased, expired): (Vec<_>, Vec<_>) =
        expired.into_iter().partition(|(s, _)| crate::lease::of_service(s).is_some());
    let (protected, due): (Vec<_>, Vec<_>) = expired.into_iter().partition(|(s, _)| s.termination_protection);
    if !args.dry_run && !due.is_empty() && !ctx.force(args.yes) {
        if !crate::prompt::can_prompt() {
            return Err(CliError::usage(format!(
                "refusing to terminate {} expired service(s) without confirmation: no terminal to ask on",
                due.len()
            ))
            .hint("pass --yes, or look first with --dry-run")
            .into());
        }
        let names: Vec<&str> = due.iter().map(|(s, _)| s.service_name.as_str()).collect();
        let typed = crate::prompt::read_line(&format!(
            "Terminate {} and all their data? Type 'yes' to confirm",
            names.join(", ")
        ))?;
        if typed != "yes" {
            return Err(CliError::usage("not confirmed: nothing was terminated").into());
        }
    }
    let mut report = vec![];
    let mut failed = 0;
    for (s, at) in &protected {
        report.push(json!({"service_name": s.service_name, "expires_at": expiry::format(*at), "action": "skipped",
            "reason": "termination protection is on"}));
    }
    for (s, at) in &leased {
        let lease = crate::lease::of_service(s).expect("partitioned on it");
        report.push(json!({"service_name": s.service_name, "expires_at": expiry::format(*at), "action": "skipped",
            "reason": format!("under {}: it waits until the rename ends", lease.describe())}));
    }
    for (s, at) in &due {
        let (action, reason) = if args.dry_run {
            ("would terminate", Value::Null)
        } else {
            // Looked at again just before: a service un-expired, protected or replaced since the
            // list (or while the prompt waited) is left alone.
            match client.service_get(project, &s.service_name).await {
                Err(e) if e.is_not_found() => ("terminated", "it was already gone".into()),
                Err(e) => {
                    failed += 1;
                    ("failed", e.to_string().into())
                }
                Ok(now) if now.create_time != s.create_time => {
                    ("skipped", "replaced by a new service since it was listed".into())
                }
                Ok(now) if expiry::of(now.tags.as_ref()).is_none_or(|t| t > jiff::Timestamp::now()) => {
                    ("skipped", "its expiry changed since it was listed".into())
                }
                Ok(now) if now.termination_protection => ("skipped", "termination protection is on".into()),
                Ok(now) if crate::lease::of_service(&now).is_some() => {
                    ("skipped", "a rename took it since it was listed: it waits until the rename ends".into())
                }
                Ok(_) => match client.service_delete_incarnation(project, &s.service_name, &s.create_time).await {
                    Ok(avn_client::DeleteOutcome::Deleted) => ("terminated", Value::Null),
                    Ok(avn_client::DeleteOutcome::Gone) => ("terminated", "it was already gone".into()),
                    Ok(avn_client::DeleteOutcome::Replaced(_)) => {
                        ("skipped", "replaced by a new service since it was listed".into())
                    }
                    Err(e) => {
                        failed += 1;
                        ("failed", e.api_message().map(str::to_string).unwrap_or_else(|| e.to_string()).into())
                    }
                },
            }
        };
        report.push(json!({"service_name": s.service_name, "expires_at": expiry::format(*at), "action": action,
            "reason": reason}));
    }
    if !args.dry_run && !due.is_empty() {
        ctx.services_changed(project);
    }
    if ctx.printer.json_mode() {
        let pick = |a: &str| -> Vec<Value> { report.iter().filter(|r| r["action"] == a).cloned().collect() };
        ctx.printer.print_json(json!({
            "dry_run": args.dry_run,
            "terminated": pick(if args.dry_run { "would terminate" } else { "terminated" }),
            "skipped": pick("skipped"),
            "failed": pick("failed"),
        }))?;
    } else if report.is_empty() {
        ctx.printer.info(&format!("No expired services in project '{project}'"));
    } else {
        let rows = crate::output::report_rows(&report);
        ctx.printer.emit(Value::Null, &rows, &["service_name", "expires_at", "action", "reason"])?;
    }
    if failed > 0 {
        return Err(CliError::failed(format!("{failed} expired service(s) could not be terminated")).into());
    }
    Ok(())
}
