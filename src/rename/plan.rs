//! `--dry-run`: each step's concrete action, printed; nothing changes.

use serde_json::Value;

use super::parse_env_spec;
use super::Options;
use super::Snapshot;
use crate::context::Context;
use crate::output::json as out_json;

/// Print what a rename would do, step by step (`--json`: with the fork it would request).
pub fn print(
    ctx: &Context<'_>,
    old: &str,
    new: &str,
    o: &Options,
    s: &Snapshot,
    body: &avn_api::ServiceCreate,
) -> anyhow::Result<()> {
    let steps = steps(old, new, o, s, body);
    if ctx.printer.json_mode() {
        /// `--json` of a dry run: what each step would do, and the fork it would request.
        #[derive(serde::Serialize)]
        struct DryRun<'a> {
            dry_run: bool,
            steps: Vec<PlannedStep<'a>>,
            fork_request: Value,
        }
        #[derive(serde::Serialize)]
        struct PlannedStep<'a> {
            step: &'a str,
            action: &'a str,
        }
        let steps = steps.iter().map(|(step, action)| PlannedStep { step, action }).collect();
        let whole = DryRun { dry_run: true, steps, fork_request: out_json::value(body) };
        return Ok(ctx.printer.print_json(serde_json::to_value(whole)?)?);
    }
    ctx.printer.info("Dry run: every check passed; nothing was changed. The rename would:");
    for (i, (n, a)) in steps.iter().enumerate() {
        ctx.printer.line(&format!("{}. {}: {a}", i + 1, n.replace('_', " ")))?;
    }
    Ok(())
}

/// Each step's concrete action, for this service and these options.
fn steps(
    old: &str,
    new: &str,
    o: &Options,
    s: &Snapshot,
    body: &avn_api::ServiceCreate,
) -> Vec<(&'static str, String)> {
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let pg = s.service_type == "pg";
    let mut steps = vec![(
        "preflight",
        format!(
            "checked: '{old}' is RUNNING ({} on {} in {}), '{new}' is free, backups exist, plan {} can be forked to",
            s.service_type, s.plan, s.cloud, body.plan
        ),
    )];
    steps.push((
        "stop_writes",
        if o.writes_stopped {
            "skip: the operator stopped writes (--writes-stopped)".to_string()
        } else if s.service_type == "valkey" {
            format!("have avn local take the write commands from every user of '{old}' (kept across restarts), end their connections, write a fence key; prove a write fails")
        } else if s.local_writes {
            format!("have avn local set read_only on '{old}' (kept across restarts), end other sessions, commit a fence row and end them again; prove a write fails")
        } else {
            format!(
                "make databases [{}] default to read-only transactions, end other sessions, prove a write fails, commit a fence row and end other sessions again",
                list(&s.alterable)
            )
        },
    ));
    steps.push((
        "fork",
        format!(
            "create '{new}' ({} on {} in {}) from '{old}' {}, tags copied, termination protection {}; wait until it accepts connections",
            body.service_type,
            body.plan,
            body.cloud.as_deref().unwrap_or(""),
            if s.service_type == "valkey" {
                "from a snapshot taken after the fence (avn local takes it)"
            } else {
                "at its latest transaction"
            },
            if body.termination_protection { "on" } else { "off" }
        ),
    ));
    steps.push((
        "open_writes",
        if pg && !o.writes_stopped {
            format!("clear the read-only defaults on '{new}' for [{}], prove a write succeeds", list(&s.alterable))
        } else {
            "skip: nothing to clear".to_string()
        },
    ));
    steps.push((
        "verify",
        format!(
            "compare databases [{}], users [{}], connection pools [{}]{}",
            list(&s.databases),
            list(&s.users),
            list(&s.pools),
            match (pg || s.local_writes, o.checksum) {
                _ if s.service_type == "valkey" =>
                    "; the key count and a digest of both (keys, values, expiry times; keys expiring within 5 minutes left out)",
                (true, true) => "; exact row counts and contents (checksum) of every user table",
                (true, false) => "; exact row counts of every user table",
                _ => "",
            }
        ),
    ));
    let mut repoint: Vec<String> =
        s.integrations.iter().map(|i| format!("recreate integration {} on '{new}'", i.integration_type)).collect();
    for spec in &o.repoint_env {
        let (path, var) = parse_env_spec(spec);
        repoint.push(match var {
            Some(v) => format!("set {v} in {} to '{new}''s URI (backup {}.bak)", path.display(), path.display()),
            None => {
                format!("replace '{old}''s URI, host and port in {} (backup {}.bak)", path.display(), path.display())
            }
        });
    }
    if let Some(cmd) = &o.repoint_exec {
        repoint.push(format!("run `{cmd}` with AVN_NEW_SERVICE_URI, AVN_NEW_HOST, AVN_NEW_PORT"));
    }
    steps.push(("repoint", if repoint.is_empty() { "nothing to repoint".into() } else { repoint.join("; ") }));
    steps.push((
        "delete",
        if o.keep_source {
            format!("keep '{old}' (read-only); finish later with `avn service terminate {old}`")
        } else if o.yes {
            format!(
                "delete '{old}'{}",
                if s.termination_protection { " after removing its termination protection" } else { "" }
            )
        } else {
            format!("ask to confirm, then delete '{old}'")
        },
    ));
    steps
}
