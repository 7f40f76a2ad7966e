use std::collections::BTreeMap;
use std::time::Duration;
use std::time::Instant;

use avn_api::Service;
use avn_api::ServiceState;
use clap::Args;

use crate::context::Context;
use crate::error::CliError;
use crate::output::json;

/// Default limit of `service wait` and `service create --wait`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Args)]
#[command(long_about = "Wait until every named service is RUNNING.\n\n\
    Polls about every second at first, backing off to every 10 seconds, and prints one line per \
    state change on stderr. --timeout takes seconds (as the official client: 300) or units (5m, \
    1h); on timeout the exit status is 3 and the services keep changing in the control plane.\n\n\
    Examples:\n  avn service wait db1\n  avn service wait db1 db2 --timeout 300\n  avn service wait db1 --timeout 10m --json")]
pub struct WaitArgs {
    /// Wait for these services
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Give up after this long: seconds, or units like 5m [default: 30m]
    #[arg(long, value_name = "DURATION", value_parser = crate::cli::parse_duration)]
    pub timeout: Option<Duration>,
}

pub async fn run(ctx: &Context<'_>, args: WaitArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let services = wait_running(ctx, project, &args.names, args.timeout.unwrap_or(DEFAULT_TIMEOUT)).await?;
    if ctx.printer.json_mode() {
        let list: Vec<_> = services.iter().map(json::value).collect();
        ctx.printer.print_json(serde_json::Value::Array(list))?;
    }
    Ok(())
}

/// Poll until every service is `RUNNING`; report state changes on stderr.
pub async fn wait_running(
    ctx: &Context<'_>,
    project: &str,
    names: &[String],
    timeout: Duration,
) -> anyhow::Result<Vec<Service>> {
    let client = ctx.client()?;
    let start = Instant::now();
    let mut last: BTreeMap<&str, ServiceState> = BTreeMap::new();
    let mut warned_off = false;
    let mut delay = Duration::from_millis(1000);
    loop {
        let mut done = Vec::with_capacity(names.len());
        for name in names {
            let s = client.service_get(project, name).await?;
            if last.get(name.as_str()) != Some(&s.state) {
                ctx.printer.info(&format!("{} {name}: {}", clock(), s.state));
                last.insert(name, s.state.clone());
            }
            if let Some(n) = s.service_notifications.iter().find(|n| n.notification_type == "service_creation_failed") {
                return Err(CliError::failed(format!("{name}: {}", n.message))
                    .hint(format!("remove it with `avn service terminate {name} --force` and try again"))
                    .into());
            }
            if s.state == ServiceState::PowerOff && !warned_off {
                warned_off = true;
                ctx.printer.warn(&format!(
                    "{name} is powered off and will not become RUNNING until powered on (avn service update {name} --power-on)"
                ));
            }
            done.push(s);
        }
        if done.iter().all(|s| s.state == ServiceState::Running) {
            ctx.printer.info(&format!("Service(s) RUNNING: {}", names.join(", ")));
            return Ok(done);
        }
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            let pending: Vec<String> = done
                .iter()
                .filter(|s| s.state != ServiceState::Running)
                .map(|s| format!("{} ({})", s.service_name, s.state))
                .collect();
            return Err(CliError::timeout(format!(
                "timed out after {} waiting for {}",
                crate::time::humanize(timeout),
                pending.join(", ")
            ))
            .hint(format!(
                "the services keep changing in the control plane; wait again with `avn service wait {}`",
                names.join(" ")
            ))
            .into());
        }
        tokio::time::sleep(delay.min(timeout - elapsed)).await;
        delay = (delay.mul_f64(1.5)).min(Duration::from_secs(10));
    }
}

fn clock() -> String {
    jiff::Timestamp::now().strftime("%H:%M:%S").to_string()
}
