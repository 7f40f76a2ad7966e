use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use crate::context::Context;
use crate::error::CliError;
use crate::expiry;

pub use avn_cli::commands::service::prune::PruneArgs;

/// One service in the report: what was done to it, and why when it was not terminated.
#[derive(Debug, Serialize)]
struct Row {
    service_name: String,
    expires_at: String,
    action: &'static str,
    reason: Option<String>,
}

/// `--json`: the rows, by what happened to them.
#[derive(Debug, Serialize)]
struct Report<'a> {
    dry_run: bool,
    terminated: Vec<&'a Row>,
    skipped: Vec<&'a Row>,
    failed: Vec<&'a Row>,
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
    let now = Timestamp::now();
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
        confirm(&due)?;
    }
    let row = |s: &avn_api::Service, at: &Timestamp, action, reason: Option<String>| Row {
        service_name: s.service_name.clone(),
        expires_at: expiry::format(*at),
        action,
        reason,
    };
    let mut report = vec![];
    for (s, at) in &protected {
        report.push(row(s, at, "skipped", Some("termination protection is on".into())));
    }
    for (s, at) in &leased {
        let lease = crate::lease::of_service(s).expect("partitioned on it");
        let why = format!("under {}: it waits until the rename ends", lease.describe());
        report.push(row(s, at, "skipped", Some(why)));
    }
    for (s, at) in &due {
        let (action, reason) =
            if args.dry_run { ("would terminate", None) } else { terminate(client, project, s).await };
        report.push(row(s, at, action, reason));
    }
    if !args.dry_run && !due.is_empty() {
        ctx.services_changed(project);
    }
    show(ctx, project, args.dry_run, &report)?;
    let failed = report.iter().filter(|r| r.action == "failed").count();
    if failed > 0 {
        return Err(CliError::failed(format!("{failed} expired service(s) could not be terminated")).into());
    }
    Ok(())
}

/// Ask on the terminal before terminating `due`; refused without one.
fn confirm(due: &[(avn_api::Service, Timestamp)]) -> anyhow::Result<()> {
    if !crate::prompt::can_prompt() {
        return Err(CliError::usage(format!(
            "refusing to terminate {} expired service(s) without confirmation: no terminal to ask on",
            due.len()
        ))
        .hint("pass --yes, or look first with --dry-run")
        .into());
    }
    let names: Vec<&str> = due.iter().map(|(s, _)| s.service_name.as_str()).collect();
    let typed =
        crate::prompt::read_line(&format!("Terminate {} and all their data? Type 'yes' to confirm", names.join(", ")))?;
    if typed != "yes" {
        return Err(CliError::usage("not confirmed: nothing was terminated").into());
    }
    Ok(())
}

/// Terminate one expired service, looked at again just before: a service un-expired, protected,
/// leased or replaced since the list (or while the prompt waited) is left alone.
async fn terminate(client: &avn_client::Client, project: &str, s: &avn_api::Service) -> (&'static str, Option<String>) {
    let now = match client.service_get(project, &s.service_name).await {
        Err(e) if e.is_not_found() => return ("terminated", Some("it was already gone".into())),
        Err(e) => return ("failed", Some(e.to_string())),
        Ok(now) => now,
    };
    let skipped = |why: &str| ("skipped", Some(why.to_string()));
    if now.create_time != s.create_time {
        return skipped("replaced by a new service since it was listed");
    }
    if expiry::of(now.tags.as_ref()).is_none_or(|t| t > Timestamp::now()) {
        return skipped("its expiry changed since it was listed");
    }
    if now.termination_protection {
        return skipped("termination protection is on");
    }
    if crate::lease::of_service(&now).is_some() {
        return skipped("a rename took it since it was listed: it waits until the rename ends");
    }
    match client.service_delete_incarnation(project, &s.service_name, &s.create_time).await {
        Ok(avn_client::DeleteOutcome::Deleted) => ("terminated", None),
        Ok(avn_client::DeleteOutcome::Gone) => ("terminated", Some("it was already gone".into())),
        Ok(avn_client::DeleteOutcome::Replaced(_)) => skipped("replaced by a new service since it was listed"),
        Err(e) => ("failed", Some(e.api_message().map(str::to_string).unwrap_or_else(|| e.to_string()))),
    }
}

/// The report: `--json` by outcome, else a table (or a line when nothing expired).
fn show(ctx: &Context<'_>, project: &str, dry_run: bool, report: &[Row]) -> anyhow::Result<()> {
    if ctx.printer.json_mode() {
        let pick = |a: &str| report.iter().filter(|r| r.action == a).collect();
        let done = if dry_run { "would terminate" } else { "terminated" };
        let whole = Report { dry_run, terminated: pick(done), skipped: pick("skipped"), failed: pick("failed") };
        return Ok(ctx.printer.print_json(serde_json::to_value(whole)?)?);
    }
    if report.is_empty() {
        ctx.printer.info(&format!("No expired services in project '{project}'"));
        return Ok(());
    }
    let rows: Vec<Value> = report.iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
    let rows = crate::output::report_rows(&rows);
    ctx.printer.emit(Value::Null, &rows, &["service_name", "expires_at", "action", "reason"])?;
    Ok(())
}
