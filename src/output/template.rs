//! `--format '{service_name} {state}'`: one line per item. `{{` and `}}` are literal braces.
//!
//! A user's `--format` ([`Template::python`]) is Python's `str.format`, as the official client
//! applies it to each item: indexing (`{service_uri_params[port]}`), conversions (`{x!r}`), format
//! specs (`{service_name:>10}`) and values as Python prints them (`False`, `['a', 'b']`, `None`).
//! `{a.b}` (a nested key) is our addition. Templates written for people (default lines) render
//! values as tables do.

use serde_json::Value;

use crate::error::CliError;
use crate::output::tables;

#[derive(Debug)]
pub struct Template {
    parts: Vec<Part>,
    /// Values and specs as Python's `str.format` renders them (a user's `--format`).
    python: bool,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Field(String),
}

/// One step into a value: `.key` or `[key]`.
enum Step<'a> {
    Key(&'a str),
    Index(&'a str),
}

/// A replacement field, read: `name.a[b]!r:>10`.
struct FieldRef<'a> {
    name: &'a str,
    steps: Vec<Step<'a>>,
    conversion: Option<char>,
    spec: &'a str,
}

/// `name.a[b]!r:>10` → its parts.
fn split_field(f: &str) -> Result<FieldRef<'_>, String> {
    let end = f.find(['.', '[', '!', ':']).unwrap_or(f.len());
    let (name, mut rest) = f.split_at(end);
    let mut steps = vec![];
    loop {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[', '!', ':']).unwrap_or(r.len());
            steps.push(Step::Key(&r[..end]));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or_else(|| format!("'[' without ']' in '{{{f}}}'"))?;
            steps.push(Step::Index(&r[..end]));
            rest = &r[end + 1..];
        } else {
            break;
        }
    }
    let (conversion, rest) = match rest.strip_prefix('!') {
        Some(r) => {
            let mut chars = r.chars();
            let c = chars.next().filter(|c| matches!(c, 'r' | 's' | 'a'));
            let c = c.ok_or_else(|| format!("unknown conversion in '{{{f}}}': use !r, !s or !a"))?;
            (Some(c), chars.as_str())
        }
        None => (None, rest),
    };
    let spec = match rest.strip_prefix(':') {
        Some(spec) => spec,
        None if rest.is_empty() => "",
        None => return Err(format!("cannot read the field '{{{f}}}'")),
    };
    Ok(FieldRef { name, steps, conversion, spec })
}

impl Template {
    /// A user's `--format`: Python's `str.format` (see the module doc).
    pub fn python(s: &str) -> Result<Template, CliError> {
        let mut t = Template::parse(s)?;
        t.python = true;
        for p in &t.parts {
            if let Part::Field(f) = p {
                split_field(f).map_err(|e| CliError::usage(format!("--format: {e}")))?;
            }
        }
        Ok(t)
    }

    pub fn parse(s: &str) -> Result<Template, CliError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut field = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => field.push(c),
                            None => {
                                return Err(CliError::usage(format!("--format '{s}': '{{' without a closing '}}'"))
                                    .hint("write a field as {service_name}; a literal brace as {{ or }}"))
                            }
                        }
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Field(field.trim().to_string()));
                }
                '}' => return Err(CliError::usage(format!("--format '{s}': '}}' without an opening '{{'"))),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template { parts, python: false })
    }

    pub fn render(&self, item: &Value) -> Result<String, CliError> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Field(f) if self.python => out.push_str(&python_field(item, f)?),
                Part::Field(f) => match tables::lookup(item, f) {
                    Some(v) => out.push_str(&tables::cell(f, v)),
                    None => {
                        let mut fields: Vec<&str> =
                            item.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
                        fields.sort_unstable();
                        return Err(CliError::usage(format!("--format: unknown field '{f}'"))
                            .hint(format!("valid fields: {}", fields.join(", "))));
                    }
                },
            }
        }
        Ok(out)
    }
}

/// The unknown-field error, with the fields there are.
fn unknown_field(item: &Value, f: &str) -> CliError {
    let mut fields: Vec<&str> = item.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
    fields.sort_unstable();
    CliError::usage(format!("--format: unknown field '{f}'")).hint(format!("valid fields: {}", fields.join(", ")))
}

/// One replacement field rendered as Python's `str.format` would.
fn python_field(item: &Value, f: &str) -> Result<String, CliError> {
    use super::pyformat;
    let FieldRef { name, steps, conversion, spec } =
        split_field(f).map_err(|e| CliError::usage(format!("--format: {e}")))?;
    let mut cur = match item.get(name) {
        Some(v) => v,
        None => return Err(unknown_field(item, name)),
    };
    for step in &steps {
        let next = match (step, cur) {
            (Step::Index(i), Value::Array(items)) => i.parse::<usize>().ok().and_then(|i| items.get(i)),
            (Step::Key(k) | Step::Index(k), Value::Object(m)) => m.get(*k),
            _ => None,
        };
        cur = next.ok_or_else(|| {
            let what = match step {
                Step::Key(k) => format!(".{k}"),
                Step::Index(i) => format!("[{i}]"),
            };
            let keys = cur.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>().join(", ")).unwrap_or_default();
            let e = CliError::usage(format!("--format: '{{{f}}}': no {what} in '{name}'"));
            if keys.is_empty() {
                e
            } else {
                e.hint(format!("keys there: {keys}"))
            }
        })?;
    }
    let rendered = match conversion {
        Some('r' | 'a') => pyformat::format_value(&Value::String(pyformat::repr(cur)), spec),
        Some(_) => pyformat::format_value(&Value::String(pyformat::str_of(cur)), spec),
        None => pyformat::format_value(cur, spec),
    };
    rendered.map_err(|e| CliError::usage(format!("--format: '{{{f}}}': {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_rejects() {
        let v = serde_json::json!({"a": "x", "n": 3, "o": {"k": "v"}});
        let t = Template::parse("{a} {{{n}}} {o.k}").unwrap();
        assert_eq!(t.render(&v).unwrap(), "x {3} v");
        let err = Template::parse("{zz}").unwrap().render(&v).unwrap_err();
        assert!(err.message.contains("zz") && err.hints[0].contains("a, n, o"));
        assert!(Template::parse("{a").is_err());
    }

    #[test]
    fn a_users_format_is_pythons_str_format() {
        let v = serde_json::json!({"name": "db1", "ok": false, "dbs": ["appdb", "defaultdb"], "n": 5,
            "params": {"port": "28001", "host": "h"}, "none": null, "nodes": [{"state": "running"}]});
        let r = |t: &str| Template::python(t).unwrap().render(&v).unwrap();
        assert_eq!(r("{name:>6}|{ok}|{dbs}|{none}"), "   db1|False|['appdb', 'defaultdb']|None");
        assert_eq!(r("{params[port]} {params.host} {nodes[0][state]} {dbs[1]}"), "28001 h running defaultdb");
        // Dict keys print sorted (the API's own order is not kept).
        assert_eq!(r("{n:03d} {name!r} {params}"), "005 'db1' {'host': 'h', 'port': '28001'}");
        let err = Template::python("{params[nope]}").unwrap().render(&v).unwrap_err();
        assert!(err.message.contains("no [nope] in 'params'") && err.hints[0].contains("port"), "{err:?}");
        assert!(Template::python("{name!x}").is_err());
        assert!(Template::python("{n:q}").unwrap().render(&v).is_err());
    }
}
