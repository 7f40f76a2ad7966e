//! One service as data: the `service list`/`get` row and the one-line summary after a change.

use avn_api::Service;
use serde_json::Value;

use super::Printer;

/// The columns of `service list` and `service get`, as the official client prints them.
pub const SERVICE_COLUMNS: &[&str] =
    &["service_name", "service_type", "state", "cloud_name", "plan", "create_time", "update_time", "notifications"];

/// A service as a JSON row, with the derived `notifications` column.
pub fn service_row(s: &Service) -> Value {
    let mut v = super::json::value(s);
    let notes: Vec<String> = s
        .service_notifications
        .iter()
        .filter(|n| n.notification_type == "service_end_of_life")
        .map(|n| {
            let date = n
                .metadata
                .iter()
                .find(|(k, _)| k.ends_with("_time"))
                .and_then(|(_, v)| v.as_str())
                .map(|t| t.get(..10).unwrap_or(t).to_string())
                .unwrap_or_default();
            let what = if n.level == "warning" { "Upgrade required" } else { "Upgrade available" };
            format!("EOL: {date} {what}").replace("  ", " ")
        })
        .collect();
    if let Some(m) = v.as_object_mut() {
        m.insert("notifications".into(), notes.into());
    }
    v
}

/// Table rows and columns for services, with an `expires` column (when, and how long is left)
/// where any of them has an expiry; without one, exactly the official client's columns.
pub fn service_table(services: &[&Service]) -> (Vec<Value>, Vec<&'static str>) {
    let now = jiff::Timestamp::now();
    let mut rows: Vec<Value> = services.iter().map(|s| service_row(s)).collect();
    let mut columns = SERVICE_COLUMNS.to_vec();
    if services.iter().any(|s| crate::expiry::of(s.tags.as_ref()).is_some()) {
        for (row, s) in rows.iter_mut().zip(services) {
            let e = crate::expiry::of(s.tags.as_ref()).map(|t| crate::expiry::describe(t, now)).unwrap_or_default();
            row["expires"] = e.into();
        }
        columns.push("expires");
    }
    (rows, columns)
}

/// Print a service as one line of data (or the object under `--json`).
pub fn print_service_line(printer: &Printer, s: &Service) -> anyhow::Result<()> {
    if printer.json_mode() {
        return Ok(printer.print_json(super::json::value(s))?);
    }
    // One line: name, type, state, cloud, plan (a --format template replaces it).
    printer.emit_line(service_row(s), "{service_name}  {service_type}  {state}  {cloud_name}  {plan}")
}
