use avn_api::ServiceUpdate;
use clap::Args;
use serde_json::Map;

use crate::context::Context;

/// Change a service's plan, power, protection or configuration
#[derive(Debug, Args)]
#[command(long_about = "Change a service: power it off or on, its termination protection, plan, \
    disk, cloud or configuration options.\n\n\
    Examples:\n  avn service update db1 --power-off\n  avn service update db1 --disable-termination-protection\n  \
    avn service update db1 -p business-4 -c pg.max_connections=300")]
pub struct UpdateArgs {
    /// Update this service
    #[arg(value_parser = crate::cli::service_name)]
    pub name: String,
    /// Power the service on
    #[arg(long, conflicts_with = "power_off")]
    pub power_on: bool,
    /// Power the service off (data is kept)
    #[arg(long)]
    pub power_off: bool,
    /// Protect the service against termination and powering off
    #[arg(long, conflicts_with = "disable_termination_protection")]
    pub enable_termination_protection: bool,
    /// Allow the service to be terminated
    #[arg(long)]
    pub disable_termination_protection: bool,
    /// Set a configuration option, typed by the schema (can be repeated)
    #[arg(short = 'c', value_name = "KEY=VALUE")]
    pub config_option: Vec<String>,
    /// Remove a configuration option (can be repeated)
    #[arg(long, value_name = "KEY")]
    pub remove_option: Vec<String>,
    /// Move the service to this plan
    #[arg(short = 'p', long, value_name = "PLAN")]
    pub plan: Option<String>,
    /// Give the service this much disk (GiB)
    #[arg(long, value_name = "GIB")]
    pub disk_space_gib: Option<u64>,
    /// Move the service to this cloud
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,
    /// Skip confirmations (accepted for compatibility)
    #[arg(short, long)]
    pub force: bool,
    #[command(flatten)]
    pub expiry: crate::cli::ExpiryArgs,
    /// Remove the service's expiry (the avn_expires_at tag)
    #[arg(long, conflicts_with_all = ["expires_in", "expires_at"], help_heading = "Expiry")]
    pub no_expiry: bool,
}

pub async fn run(ctx: &Context<'_>, args: UpdateArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let client = ctx.client()?;
    let expires_at = args.expiry.resolve()?;
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
        || a.cloud.is_some())
}
