//! Create requests: the name rule, the schema that types `-c` options, and a create that is
//! never retried blindly. Used by `service create`, `service fork`, `service update` and renames.

use avn_api::Plan;
use avn_api::Service;
use avn_api::ServiceCreate;
use serde_json::Map;
use serde_json::Value;

use crate::context::Context;
use crate::error::CliError;

/// Check a service name before any request; the rule is `avn_api::names`'.
pub fn validate_name(name: &str) -> Result<(), CliError> {
    avn_api::names::validate_service_name(name)
        .map_err(|e| CliError::usage(e.to_string()).hint(avn_api::names::InvalidName::RULE))
}

/// The `user_config_schema` of one service type (single-type endpoint). An unknown type is a
/// usage error that names the close matches from the catalog.
pub async fn schema_for(ctx: &Context<'_>, project: &str, service_type: &str) -> anyhow::Result<Value> {
    let client = ctx.client()?;
    match client.service_type(project, service_type).await {
        Ok(info) => Ok(info.user_config_schema),
        Err(e) if matches!(e.status(), Some(400 | 404)) => {
            // A project that does not exist answers 404 here too: the caller names it.
            let known = client.service_types(project).await?;
            let close = crate::user_config::closest(service_type, known.keys().map(String::as_str));
            let mut err = CliError::usage(format!("unknown service type '{service_type}'"));
            if !close.is_empty() {
                err = err.hint(format!("did you mean: {}", close.join(", ")));
            }
            if !known.is_empty() {
                err = err.hint(format!("available types: {}", known.keys().cloned().collect::<Vec<_>>().join(", ")));
            }
            Err(err.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// When `project` is not one of the projects the API lists: the usage error that names the ones
/// there are. None when it exists or the list cannot be read.
pub async fn missing_project(ctx: &Context<'_>, project: &str) -> Option<CliError> {
    let projects = ctx.client().ok()?.project_list().await.ok()?;
    if projects.iter().any(|p| p.project_name == project) {
        return None;
    }
    let names: Vec<&str> = projects.iter().map(|p| p.project_name.as_str()).collect();
    let mut err = CliError::usage(format!("project '{project}' does not exist"));
    if let Some(source) = project_source(ctx, project) {
        err = err.hint(format!("'{project}' came from {source}"));
    }
    Some(if names.is_empty() {
        err.hint(if ctx.settings.local.is_some() {
            "the local control plane has no projects yet: `avn local up` creates project 'local'"
        } else {
            "this account has no projects yet: create one in the Aiven Console"
        })
    } else {
        err.hint(format!("projects: {}", names.join(", ")))
            .hint("pass --project NAME, or choose a default with `avn project switch NAME`")
    })
}

/// Where the project in use came from, when not from the command line: the environment or the
/// configuration file (a CI variable set once and forgotten is the usual cause of a wrong one).
fn project_source(ctx: &Context<'_>, project: &str) -> Option<String> {
    let on_command_line = std::env::args().any(|a| a == "--project" || a.starts_with("--project="));
    if on_command_line {
        return None;
    }
    if crate::env_vars::get(crate::env_vars::AIVEN_PROJECT).as_deref() == Some(project) {
        return Some("the AIVEN_PROJECT environment variable".into());
    }
    if ctx.settings.client_config.get_str("default_project") == Some(project) {
        return Some(format!("default_project in {}", ctx.settings.client_config.path.display()));
    }
    None
}

/// The plan `plan_name` of `service_type`, checked to exist and, when a cloud is given, to be
/// offered there. Either failure is a usage error that lists what exists.
pub async fn plan_for(
    ctx: &Context<'_>,
    project: &str,
    service_type: &str,
    plan_name: &str,
    cloud: Option<&str>,
) -> anyhow::Result<Plan> {
    let plans = ctx.client()?.service_plans(project, service_type).await?;
    let Some(plan) = plans.iter().find(|p| p.service_plan == plan_name) else {
        let names: Vec<&str> = plans.iter().map(|p| p.service_plan.as_str()).collect();
        let close = crate::user_config::closest(plan_name, names.iter().copied());
        let mut err = CliError::usage(format!("plan '{plan_name}' does not exist for service type '{service_type}'"));
        if !close.is_empty() {
            err = err.hint(format!("did you mean: {}", close.join(", ")));
        }
        return Err(err.hint(format!("plans: {}", names.join(", "))).into());
    };
    if let Some(cloud) = cloud {
        if !plan.regions.is_empty() && !plan.regions.contains_key(cloud) {
            let here: Vec<&str> =
                plans.iter().filter(|p| p.regions.contains_key(cloud)).map(|p| p.service_plan.as_str()).collect();
            let mut err = CliError::usage(format!("plan '{plan_name}' is not offered in cloud '{cloud}'"));
            if here.is_empty() {
                let clouds: std::collections::BTreeSet<&str> =
                    plans.iter().flat_map(|p| p.regions.keys()).map(String::as_str).collect();
                err = err
                    .hint(format!("clouds for {service_type}: {}", clouds.into_iter().collect::<Vec<_>>().join(", ")));
            } else {
                err = err.hint(format!("plans in {cloud}: {}", here.join(", ")));
                err = err.hint(format!(
                    "clouds with plan '{plan_name}': {}",
                    plan.regions.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            return Err(err.into());
        }
    }
    Ok(plan.clone())
}

/// `--disk-space-gib` in the API's MiB, refused when it does not fit.
pub fn disk_space_mb(gib: Option<u64>) -> Result<Option<u64>, CliError> {
    gib.map(|g| {
        g.checked_mul(1024).ok_or_else(|| {
            CliError::usage(format!("--disk-space-gib {g} is too large")).hint("give the disk size in GiB, e.g. 80")
        })
    })
    .transpose()
}

/// Apply `-c KEY=VALUE` arguments to a config, typed by the schema.
pub fn apply_options(
    config: &mut Map<String, Value>,
    schema: &Value,
    service_type: &str,
    options: &[String],
) -> Result<(), CliError> {
    for opt in options {
        let (k, v) = crate::user_config::split(opt)?;
        crate::user_config::apply(config, schema, service_type, k, v)?;
    }
    Ok(())
}

/// Create a service. A create is never retried blindly: after an ambiguous failure (the
/// connection broke, a gateway failed) the service is looked up before reporting.
///
/// Returns the service and whether this request is known to have created it (false when it was
/// found after an ambiguous failure: it may be another run's).
pub async fn create_or_lookup(
    ctx: &Context<'_>,
    project: &str,
    body: &ServiceCreate,
) -> anyhow::Result<(Service, bool)> {
    let client = ctx.client()?;
    let result = match client.service_create(project, body).await {
        Ok(s) => Ok((s, true)),
        Err(e) if e.is_ambiguous() => match client.service_get(project, &body.service_name).await {
            Ok(s) if s.service_type == body.service_type && s.plan == body.plan => {
                ctx.printer.warn(&format!(
                    "the answer to the create request was lost ({e}), but service '{}' exists",
                    body.service_name
                ));
                Ok((s, false))
            }
            _ => Err(anyhow::Error::new(e)
                .context(format!("creating '{project}/{}' failed; the service does not exist", body.service_name))),
        },
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot create '{project}/{}'", body.service_name))),
    };
    ctx.services_changed(project);
    result
}
