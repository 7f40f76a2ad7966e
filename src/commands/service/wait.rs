use std::time::Duration;
use std::time::Instant;

use avn_api::Service;
use avn_api::ServiceState;
use clap::Args;

use crate::context::Context;
use crate::error::CliError;
use crate::output::json;
use crate::output::progress::Snapshot;
use crate::output::progress::WaitDisplay;

/// Default limit of `service wait`, `service create --wait` and `service fork`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Wait until services are running
#[derive(Debug, Args)]
#[command(long_about = "Wait until every named service is RUNNING and, for PostgreSQL, accepts a \
    connection (SELECT 1 with its service URI).\n\n\
    On a terminal, a progress line per service shows its state, phase and percentage; otherwise \
    one timestamped line per state or phase change. Polls about every second while progress \
    moves, backing off to 10 seconds (2 on the local control plane) when it does not. --timeout \
    takes seconds (as the official client: 300) or units (5m, 1h); on timeout the exit status is \
    3 and the services keep changing in the control plane. Ctrl-C stops waiting only.\n\n\
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

/// Whether a failed poll is worth trying again (rate limits, gateways, the network).
fn transient(e: &avn_client::Error) -> bool {
    matches!(e.status(), Some(429 | 502 | 503 | 504))
        || matches!(
            e,
            avn_client::Error::Connect { .. } | avn_client::Error::Timeout { .. } | avn_client::Error::Transport { .. }
        )
}

/// How a PostgreSQL readiness check went.
enum Check {
    Ready,
    /// The server is up but refused us (wrong password, pg_hba): it is running.
    UpButRefused(String),
    /// The server answered "not yet" (starting up, recovering).
    NotYet(String),
    /// No answer at all (refused, timed out, name not resolved).
    Unreachable(String),
}

/// `SELECT 1` with the service URI, classified.
async fn check_connection(uri: &str) -> Check {
    let attempt = async {
        let client = crate::pg::connect(uri).await?;
        client.simple_query("SELECT 1").await.map_err(|e| e.to_string())?;
        Ok::<_, String>(())
    };
    match tokio::time::timeout(Duration::from_secs(10), attempt).await {
        Ok(Ok(())) => Check::Ready,
        Ok(Err(e)) => {
            let lower = e.to_lowercase();
            if lower.contains("password authentication failed")
                || lower.contains("no pg_hba.conf entry")
                || lower.contains("permission denied")
            {
                Check::UpButRefused(e)
            } else if lower.contains("starting up")
                || lower.contains("recovery")
                || lower.contains("shutting down")
                || lower.contains("not yet accepting")
            {
                Check::NotYet(e)
            } else if lower.contains("error connecting")
                || lower.contains("connection refused")
                || lower.contains("failed to lookup")
                || lower.contains("timed out")
                || lower.contains("unreachable")
            {
                Check::Unreachable(e)
            } else {
                Check::NotYet(e)
            }
        }
        Err(_) => Check::Unreachable("connection timed out".into()),
    }
}

/// Whether a URI's host is this machine.
fn loopback_host(uri: &str) -> bool {
    let after = uri.split("://").nth(1).unwrap_or("");
    let host_port = after.rsplit('@').next().unwrap_or("").split(['/', '?']).next().unwrap_or("");
    let host = host_port.rsplit_once(':').map(|(h, _)| h).unwrap_or(host_port);
    host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

/// After RUNNING, how long a remote database may stay unreachable before avn stops checking.
const UNREACHABLE_GRACE: Duration = Duration::from_secs(30);

/// Poll until every service is RUNNING (and accepts connections, for PostgreSQL), showing
/// progress; exit 3 on timeout with the command to resume.
pub async fn wait_running(
    ctx: &Context<'_>,
    project: &str,
    names: &[String],
    timeout: Duration,
) -> anyhow::Result<Vec<Service>> {
    let client = ctx.client()?;
    crate::error::set_interrupt_hint_if_unset(format!(
        "stopped waiting; the services keep changing in the control plane. Resume with `avn service wait {}`",
        names.join(" ")
    ));
    let local = ctx.settings.local.is_some() || is_loopback_url(&ctx.settings.url);
    let cap = if local { Duration::from_secs(2) } else { Duration::from_secs(10) };
    let start = Instant::now();
    let mut display = WaitDisplay::new(ctx.printer, names);
    let mut ready: Vec<Option<Service>> = vec![None; names.len()];
    let mut running_since: Vec<Option<Instant>> = vec![None; names.len()];
    let mut warned_off = false;
    let mut delay = Duration::from_secs(1);
    loop {
        let mut moved = false;
        let mut server_delay = None;
        for (i, name) in names.iter().enumerate() {
            if ready[i].is_some() {
                continue;
            }
            let s = match client.service_get(project, name).await {
                Ok(s) => s,
                Err(e) if transient(&e) => {
                    server_delay = e.retry_after().or(server_delay);
                    continue;
                }
                Err(e) => {
                    display.finish();
                    return Err(anyhow::Error::new(e).context(format!("cannot wait for '{project}/{name}'")));
                }
            };
            if let Some(n) = s.service_notifications.iter().find(|n| n.notification_type == "service_creation_failed") {
                display.finish();
                return Err(CliError::failed(format!("{name}: {}", n.message))
                    .hint(format!("remove it with `avn service terminate {name} --force` and try again"))
                    .into());
            }
            if s.state == ServiceState::PowerOff && !warned_off {
                warned_off = true;
                display.note(name, "POWEROFF: will not become RUNNING until powered on");
                ctx.printer.warn(&format!("{name} is powered off (avn service update {name} --power-on)"));
            }
            moved |= display.update(name, Snapshot::of(&s));
            if s.state == ServiceState::Running {
                let since = *running_since[i].get_or_insert_with(Instant::now);
                match (s.service_type.as_str(), s.service_uri.as_deref()) {
                    ("pg", Some(uri)) => match check_connection(uri).await {
                        Check::Ready => {
                            display.done(name, "RUNNING, accepts connections");
                            ready[i] = Some(s);
                        }
                        Check::UpButRefused(e) => {
                            display.done(name, "RUNNING");
                            ctx.printer.warn(&format!("{name} is running but refused the service URI's login: {e}"));
                            ready[i] = Some(s);
                        }
                        Check::Unreachable(e) if !loopback_host(uri) && since.elapsed() >= UNREACHABLE_GRACE => {
                            display.done(name, "RUNNING");
                            ctx.printer.warn(&format!(
                                "{name} is RUNNING, but this machine cannot connect to it ({e}); it may only accept \
                                 connections from allowed networks (ip_filter), so RUNNING is as far as avn can check"
                            ));
                            ready[i] = Some(s);
                        }
                        Check::NotYet(e) | Check::Unreachable(e) => {
                            display.note(name, &format!("RUNNING, waiting for connections ({e})"))
                        }
                    },
                    _ => {
                        display.done(name, "RUNNING");
                        ready[i] = Some(s);
                    }
                }
            }
        }
        if ready.iter().all(Option::is_some) {
            display.finish();
            drop(display);
            ctx.printer.info(&format!("Service(s) RUNNING: {}", names.join(", ")));
            return Ok(ready.into_iter().flatten().collect());
        }
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            display.finish();
            let pending: Vec<String> = names
                .iter()
                .zip(&ready)
                .filter(|(_, r)| r.is_none())
                .map(|(n, _)| format!("{n} ({})", display_state(&display_last(&display, n))))
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
        delay = if moved { Duration::from_secs(1) } else { delay.mul_f64(1.5).min(cap) };
        let sleep = server_delay.map(|d| d.min(Duration::from_secs(60))).unwrap_or(delay);
        tokio::time::sleep(sleep.min(timeout - elapsed)).await;
    }
}

fn display_last(d: &WaitDisplay, name: &str) -> Option<Snapshot> {
    d.last(name)
}

fn display_state(s: &Option<Snapshot>) -> String {
    s.as_ref().map(|s| s.state.clone()).unwrap_or_else(|| "unknown".into())
}

fn is_loopback_url(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    host == "localhost" || host.starts_with("127.") || url.contains("://[::1]")
}
