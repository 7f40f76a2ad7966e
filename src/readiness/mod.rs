//! Waiting until services are ready: RUNNING in the control plane and, for PostgreSQL, accepting
//! a connection. Used by `service wait`, `create --wait`, forks and renames.

use std::time::Duration;
use std::time::Instant;

use avn_api::Service;
use avn_api::ServiceState;

use crate::context::Context;
use crate::error::CliError;
use crate::output::progress::Snapshot;
use crate::output::progress::WaitDisplay;

mod postgres;

/// Default limit of `service wait`, `service create --wait` and `service fork`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Whether a failed poll is worth trying again (rate limits, gateways, the network).
fn transient(e: &avn_client::Error) -> bool {
    matches!(e.status(), Some(429 | 502 | 503 | 504))
        || matches!(
            e,
            avn_client::Error::Connect { .. } | avn_client::Error::Timeout { .. } | avn_client::Error::Transport { .. }
        )
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
    ctx.set_interrupt_hint_if_unset(format!(
        "stopped waiting; the services keep changing in the control plane. Resume with `avn service wait {}`",
        names.join(" ")
    ));
    let local = ctx.settings.local.is_some() || is_loopback_url(&ctx.settings.url);
    // A control plane on this machine is cheap to ask, and its forks take seconds: poll it often,
    // so the wait ends when the service is ready rather than up to a poll later.
    let (first, cap) = if local {
        (Duration::from_millis(200), Duration::from_secs(1))
    } else {
        (Duration::from_secs(1), Duration::from_secs(10))
    };
    let start = Instant::now();
    let mut display = WaitDisplay::new(ctx.printer, names);
    let mut ready: Vec<Option<Service>> = vec![None; names.len()];
    let mut running_since: Vec<Option<Instant>> = vec![None; names.len()];
    let mut warned_off = false;
    let mut delay = first;
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
                    ("pg", Some(uri)) => match postgres::check(ctx.pg_conn(project, uri).await).await {
                        postgres::Check::Ready => {
                            display.done(name, "RUNNING, accepts connections");
                            ready[i] = Some(s);
                        }
                        postgres::Check::UpButRefused(e) => {
                            display.done(name, "RUNNING");
                            ctx.printer.warn(&format!("{name} is running but refused the service URI's login: {e}"));
                            ready[i] = Some(s);
                        }
                        postgres::Check::Unreachable(e)
                            if !postgres::is_loopback(uri) && since.elapsed() >= UNREACHABLE_GRACE =>
                        {
                            display.done(name, "RUNNING");
                            ctx.printer.warn(&format!(
                                "{name} is RUNNING, but this machine cannot connect to it ({e}); it may only accept \
                                 connections from allowed networks (ip_filter), so RUNNING is as far as avn can check"
                            ));
                            ready[i] = Some(s);
                        }
                        postgres::Check::Insecure(e) => {
                            display.finish();
                            return Err(CliError::failed(format!("{name}: {e}"))
                                .hint(
                                    "to accept an unverified certificate, pass --pg-insecure-tls (TLS stays required)",
                                )
                                .into());
                        }
                        postgres::Check::NotYet(e) | postgres::Check::Unreachable(e) => {
                            display.note(name, &format!("RUNNING, checking connections ({e})"))
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
        delay = if moved { first } else { delay.mul_f64(1.5).min(cap) };
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

/// Whether the API is on this machine (polls more often there).
fn is_loopback_url(url: &str) -> bool {
    match url::Url::parse(url).ok().and_then(|u| u.host().map(|h| h.to_owned())) {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
