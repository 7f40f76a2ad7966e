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

/// The `-v` block: `    key = value` lines, secrets masked unless `--show-secrets`.
pub fn details(printer: &super::Printer, s: &avn_api::Service) -> String {
    let v = printer.redacted(super::json::value(s));
    let mut lines = vec![format!("{}:", s.service_name)];
    let mut add = |k: &str, val: Option<&Value>| {
        if let Some(val) = val {
            lines.push(format!("    {k} = {}", super::tables::cell(k, val)));
        }
    };
    add("service_uri", v.get("service_uri"));
    if let Some(t) = crate::expiry::of(s.tags.as_ref()) {
        add("expires_at", Some(&crate::expiry::describe(t, jiff::Timestamp::now()).into()));
    }
    add("disk_space_mb", v.get("disk_space_mb"));
    if let Some(Value::Object(uc)) = v.get("user_config") {
        for (k, val) in uc {
            add(&format!("user_config.{k}"), Some(val));
        }
    }
    add("databases", v.get("databases"));
    let users: Option<Value> = v
        .get("users")
        .and_then(Value::as_array)
        .map(|u| u.iter().filter_map(|x| x.get("username").cloned()).collect::<Vec<_>>().into());
    add("users", users.as_ref());
    lines.join("\n")
}

/// The node progress table (`NAME STATE PHASE MIN CURRENT MAX UNIT PROGRESS`), empty when none.
pub fn node_progress(s: &avn_api::Service) -> String {
    let mut cells = Vec::new();
    for n in &s.node_states {
        for p in &n.progress_updates {
            let opt = |x: Option<i64>| x.map(|v| v.to_string()).unwrap_or_default();
            cells.push(vec![
                n.name.clone(),
                n.state.clone(),
                p.phase.clone(),
                opt(p.min),
                opt(p.current),
                opt(p.max),
                p.unit.clone().unwrap_or_default(),
                p.percent().map(|x| format!("{x:.1} %")).unwrap_or_default(),
            ]);
        }
    }
    if cells.is_empty() {
        return String::new();
    }
    let headers: Vec<String> =
        ["NAME", "STATE", "PHASE", "MIN", "CURRENT", "MAX", "UNIT", "PROGRESS"].iter().map(|h| h.to_string()).collect();
    super::tables::render_cells(&headers, &cells)
}
