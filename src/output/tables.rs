//! Tables in the official client's layout: upper-case header, a `=` underline per column, two
//! spaces between columns, no trailing whitespace. Pure functions, unit-tested.

use comfy_table::CellAlignment;
use comfy_table::ColumnConstraint;
use comfy_table::ContentArrangement;
use comfy_table::Table;
use serde_json::Value;

/// Render `rows` (JSON objects) as a table of `columns` (dotted paths allowed). Empty when no rows.
pub fn render(columns: &[&str], rows: &[Value]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let cells: Vec<Vec<String>> =
        rows.iter().map(|r| columns.iter().map(|c| cell(c, lookup(r, c).unwrap_or(&Value::Null))).collect()).collect();
    // The whole (dotted) path, upper-cased, as the official client heads its columns.
    let headers: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
    render_cells(&headers, &cells)
}

/// Render ready-made cells.
pub fn render_cells(headers: &[String], cells: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(headers[i].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut table = Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.to_vec());
    table.add_row(widths.iter().map(|w| "=".repeat(*w)).collect::<Vec<_>>());
    for r in cells {
        table.add_row(r.clone());
    }
    for col in table.column_iter_mut() {
        col.set_padding((0, 2));
        col.set_cell_alignment(CellAlignment::Left);
        col.set_constraint(ColumnConstraint::ContentWidth);
    }
    table.lines().map(|l| l.trim_end().to_string()).collect::<Vec<_>>().join("\n")
}

/// Follow a dotted path (`user_config.pg_version`) into a JSON object.
pub fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(found) = v.get(path) {
        return Some(found);
    }
    path.split('.').try_fold(v, |cur, key| cur.get(key))
}

/// Format one value as the official client does: lists joined with ", ", objects as compact
/// JSON, null as empty, and `*_time` values without fractional seconds.
pub fn cell(column: &str, v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) if column.ends_with("_time") => trim_fraction(s),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn trim_fraction(s: &str) -> String {
    if s.ends_with('Z') {
        if let Some(dot) = s.find('.') {
            return format!("{}Z", &s[..dot]);
        }
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_layout() {
        let rows = vec![
            serde_json::json!({"service_name": "db1", "state": "RUNNING", "create_time": "2024-01-02T03:04:05.123456Z", "tags": ["a", "b"]}),
            serde_json::json!({"service_name": "longer-name", "state": "REBUILDING", "create_time": null, "tags": []}),
        ];
        let text = render(&["service_name", "state", "create_time", "tags"], &rows);
        assert_eq!(
            text,
            "SERVICE_NAME  STATE       CREATE_TIME           TAGS\n\
             ============  ==========  ====================  ====\n\
             db1           RUNNING     2024-01-02T03:04:05Z  a, b\n\
             longer-name   REBUILDING"
        );
    }

    #[test]
    fn empty_is_empty() {
        assert_eq!(render(&["a"], &[]), "");
    }
}
