//! What a fork reports: the dry run's plan, the integrations it recreated, and what it copied.

use avn_api::Integration;
use avn_api::Service;
use avn_api::ServiceCreate;
use serde_json::json;
use serde_json::Value;

use super::ForkRequest;
use crate::context::Context;
use crate::error::CliError;
use crate::integrations;
use crate::output::json;
use crate::output::service::print_service_line;
use crate::time;
use crate::time::Target;

/// The instant as data (`null` for the latest transaction).
fn target_value(t: &Target) -> Value {
    match t {
        Target::Latest => Value::Null,
        Target::At { instant, .. } => avn_api::time::format_zulu(*instant).into(),
    }
}

/// `--dry-run`: the checks passed; print the request and the steps it would take.
pub fn print_dry_run(
    ctx: &Context<'_>,
    req: &ForkRequest,
    body: &ServiceCreate,
    target: &Target,
    integrations: &[Integration],
) -> anyhow::Result<()> {
    let (a, project) = (req, req.project.as_str());
    let path = format!("/v1/project/{}/service", avn_client::encode_segment(project));
    let mut steps = vec![format!(
        "create '{}' ({} on {} in {}) from '{}'",
        a.new,
        body.service_type,
        body.plan,
        body.cloud.as_deref().unwrap_or(""),
        a.source
    )];
    let backup = avn_api::ForkKeys::read(&body.user_config).basebackup;
    steps.push(match (target, backup) {
        (Target::Latest, _) if req.latest_snapshot => {
            format!("take a fresh snapshot (backup) of '{}', then restore it", a.source)
        }
        (Target::Latest, Some(b)) => format!("restore backup {b}"),
        (Target::Latest, None) => "restore the latest transaction".to_string(),
        (Target::At { instant, .. }, _) => format!("restore to {}", avn_api::time::format_zulu(*instant)),
    });
    if let Some(timeout) = req.wait {
        steps.push(format!("wait until it is RUNNING and accepts connections (up to {})", time::humanize(timeout)));
    }
    for i in integrations {
        steps.push(if a.copy_integrations {
            format!("recreate integration {}", integrations::describe(i, &a.source))
        } else {
            format!("not copied: integration {}", integrations::describe(i, &a.source))
        });
    }
    if ctx.printer.json_mode() {
        return Ok(ctx.printer.print_json(json!({"dry_run": true, "request": {"method": "POST", "path": path, "body": json::value(body)}, "plan": steps}))?);
    }
    ctx.printer.info("Dry run: every check passed; nothing was created.");
    for s in &steps {
        ctx.printer.info(&format!("  - {s}"));
    }
    ctx.printer.line(&format!("POST {}{path}", ctx.settings.url.trim_end_matches('/')))?;
    ctx.printer.print_json(json::value(body))?;
    Ok(())
}

/// Recreate the source's integrations on the fork; returns one outcome per integration.
pub async fn copy_integrations(ctx: &Context<'_>, req: &ForkRequest, integrations: &[Integration]) -> Vec<Value> {
    let (project, src_project, source, new) =
        (req.project.as_str(), req.source_project.as_str(), req.source.as_str(), req.new.as_str());
    let client = match ctx.client() {
        Ok(c) => c,
        Err(_) => return vec![],
    };
    let mut out = Vec::new();
    for i in integrations {
        let body = integrations::moved(i, source, src_project, new, project);
        let what = integrations::describe(i, source);
        match client.integration_create(project, &body).await {
            Ok(created) => {
                ctx.printer.info(&format!("Recreated integration {what} on '{new}'"));
                out.push(
                    json!({"integration": what, "ok": true, "service_integration_id": created.service_integration_id}),
                );
            }
            Err(e) => {
                ctx.printer.warn(&format!("could not recreate integration {what} on '{new}': {e}"));
                out.push(json!({"integration": what, "ok": false, "error": e.to_string()}));
            }
        }
    }
    out
}

/// The instant a fork to an instant holds the transactions of, when the control plane could not
/// cut its source's log exactly at the target (its notification says so).
fn restored_before_target(fork: &Service) -> Option<String> {
    fork.service_notifications
        .iter()
        .find(|n| n.notification_type == avn_api::service::FORK_RESTORED_TO)
        .and_then(|n| n.metadata.get("restored_to")?.as_str().map(str::to_string))
}

/// What this run did besides creating the fork.
pub struct Done {
    /// One outcome per integration recreated (`--copy-integrations`).
    pub copied: Vec<Value>,
    pub outcome: super::Outcome,
    /// The `--run-sql` files that ran.
    pub sql_ran: Vec<Value>,
}

/// What the fork holds and what it does not, then the fork itself (as data).
pub fn report(
    ctx: &Context<'_>,
    req: &ForkRequest,
    fork: &Service,
    target: &Target,
    integrations: &[Integration],
    done: &Done,
) -> anyhow::Result<()> {
    let (copied, outcome, sql_ran) = (&done.copied, done.outcome, &done.sql_ran);
    let (a, src_project) = (req, req.source_project.as_str());
    let names = |v: Option<Vec<String>>| v.unwrap_or_default();
    let databases = names(fork.databases.clone());
    let users = names(fork.users.as_ref().map(|u| u.iter().map(|u| u.username.clone()).collect()));
    let pools = names(fork.connection_pools.as_ref().map(|p| p.iter().map(|p| p.pool_name.clone()).collect()));
    let config: Vec<String> = fork.user_config.keys().filter(|k| !avn_api::ForkKeys::is_fork_key(k)).cloned().collect();
    let not_copied: Vec<String> = if a.copy_integrations {
        vec![]
    } else {
        integrations.iter().map(|i| integrations::describe(i, &a.source)).collect()
    };
    let failed = copied.iter().filter(|c| c["ok"] == false).count();
    if ctx.printer.json_mode() {
        let mut v = json::value(fork);
        v["fork"] = json!({
            "source": a.source, "source_project": src_project,
            "target_time": target_value(target),
            "backup": avn_api::ForkKeys::read(&fork.user_config).basebackup,
            "copied": {"databases": databases, "users": users, "connection_pools": pools, "configuration": config},
            "not_copied": {"integrations": not_copied, "sso": fork.service_type == "opensearch"},
            "integrations_copied": copied,
            "outcome": outcome.as_str(),
            "sql_ran": sql_ran,
            "expires_at": crate::expiry::of(fork.tags.as_ref()).or(a.expires_at).map(crate::expiry::format),
            "env_file": a.env_file.as_ref().map(|e| json!({"path": e.path, "var": e.var})),
        });
        ctx.printer.print_json(v)?;
    } else {
        let p = ctx.printer;
        let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
        let backup = avn_api::ForkKeys::read(&fork.user_config).basebackup;
        let when = match (target, restored_before_target(fork)) {
            (Target::Latest, _) if backup.is_some() => format!("backup {}", backup.as_deref().unwrap_or_default()),
            (Target::Latest, _) => "the latest transaction".to_string(),
            (Target::At { instant, .. }, None) => avn_api::time::format_zulu(*instant),
            (Target::At { instant, .. }, Some(held)) => format!(
                "{held}, {:.3} s before the {} asked for (the service's notification says why)",
                instant.duration_since(avn_api::time::parse(&held).unwrap_or(*instant)).as_secs_f64(),
                avn_api::time::format_zulu(*instant)
            ),
        };
        if outcome == super::Outcome::Adopted {
            p.info(&format!("'{}' already was a fork of '{}' (restored to {when}): adopted", a.new, a.source));
        } else {
            p.info(&format!("Forked '{}' into '{}', restored to {when}", a.source, a.new));
        }
        p.info(&format!(
            "Copied: databases ({}), users ({}), connection pools ({}), configuration ({})",
            list(&databases),
            list(&users),
            list(&pools),
            list(&config)
        ));
        if !not_copied.is_empty() {
            p.info(&format!(
                "Not copied: integrations: {} (recreate them with --copy-integrations)",
                not_copied.join("; ")
            ));
        }
        if fork.service_type == "opensearch" {
            p.info(&format!(
                "Not copied: SSO methods (SAML, OpenID); their URLs change, so reconfigure them on '{}'",
                a.new
            ));
        }
        if let Some(uri) = &fork.service_uri {
            let shown = if p.show_secrets() { uri.clone() } else { avn_api::redact::mask_uri(uri) };
            p.info(&format!("Connect: {shown}"));
        }
        // With `--env-file -`, stdout carries the VAR=URI line and nothing else.
        if a.env_file.as_ref().is_none_or(|e| e.path.is_some()) {
            print_service_line(ctx.printer, fork)?;
        }
    }
    if failed > 0 {
        return Err(CliError::failed(format!(
            "{failed} integration(s) could not be recreated on '{}'; the fork itself is ready",
            a.new
        ))
        .into());
    }
    Ok(())
}
