use avn_api::ServiceUpdate;
use serde_json::Map;

use crate::context::Context;

pub use avn_cli::commands::service::update::UpdateArgs;

pub async fn run(ctx: &Context<'_>, args: UpdateArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let client = ctx.client()?;
    let expires_at = crate::cli::resolve_expiry(&args.expiry)?;
    let current = client.service_get(project, &args.name).await?;
    let expiry_only = (expires_at.is_some() || args.no_expiry) && only_expiry(&args);
    if expires_at.is_some() || args.no_expiry {
        // Only the expiry key changes (PATCH): a tag written meanwhile (a rename's lease) stays.
        let change =
            std::collections::BTreeMap::from([(crate::expiry::TAG.to_string(), expires_at.map(crate::expiry::format))]);
        client.service_tags_update(project, &args.name, &change).await?;
        ctx.printer.info(&match expires_at {
            Some(t) => format!("'{}' expires at {}", args.name, crate::expiry::describe(t, jiff::Timestamp::now())),
            None => format!("'{}' no longer expires", args.name),
        });
        if expiry_only {
            let now = client.service_get(project, &args.name).await?;
            return crate::output::service::print_service_line(ctx.printer, &now);
        }
    }
    let mut user_config = Map::new();
    if !args.config_option.is_empty() || !args.remove_option.is_empty() {
        let schema = crate::create_request::schema_for(ctx, project, &current.service_type).await?;
        crate::create_request::apply_options(&mut user_config, &schema, &current.service_type, &args.config_option)?;
        for k in &args.remove_option {
            crate::user_config::remove(&mut user_config, &schema, &current.service_type, k)?;
        }
    }
    let body = ServiceUpdate {
        plan: args.plan.clone().unwrap_or(current.plan.clone()),
        user_config,
        powered: if args.power_on {
            Some(true)
        } else if args.power_off {
            Some(false)
        } else {
            None
        },
        termination_protection: if args.enable_termination_protection {
            Some(true)
        } else if args.disable_termination_protection {
            Some(false)
        } else {
            None
        },
        cloud: args.cloud.clone(),
        disk_space_mb: crate::create_request::disk_space_mb(args.disk_space_gib)?,
        project_vpc_id: None,
        maintenance: (args.maintenance_dow.is_some() || args.maintenance_time.is_some()).then(|| {
            avn_api::MaintenanceWindow { dow: args.maintenance_dow.clone(), time: args.maintenance_time.clone() }
        }),
        ..Default::default()
    };
    let updated = client
        .service_update(project, &args.name, &body)
        .await
        .map_err(|e| anyhow::Error::new(e).context(format!("service '{project}/{}' update failed", args.name)))?;
    crate::output::service::print_service_line(ctx.printer, &updated)
}

/// Whether the command changes nothing but the expiry (so no service update is sent).
fn only_expiry(a: &UpdateArgs) -> bool {
    !(a.power_on
        || a.power_off
        || a.enable_termination_protection
        || a.disable_termination_protection
        || !a.config_option.is_empty()
        || !a.remove_option.is_empty()
        || a.plan.is_some()
        || a.disk_space_gib.is_some()
        || a.cloud.is_some()
        || a.maintenance_dow.is_some()
        || a.maintenance_time.is_some())
}
