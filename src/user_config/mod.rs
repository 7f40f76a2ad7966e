//! `-c KEY=VALUE` options, typed by the service type's `user_config_schema`.
//!
//! Keys are the schema flattened to dotted names (`pg.max_connections`); `patternProperties`
//! accept any name at their level. Values follow the schema type: integer (also `0x..`, `0o..`,
//! `0b..`), number, boolean (`true/false/1/0`), string, object or array as JSON, and arrays of
//! plain values also as comma lists (`ip_filter=10.0.1.0/24,10.0.2.0/24`).

use serde_json::Map;
use serde_json::Number;
use serde_json::Value;

use crate::error::CliError;

/// One option of a schema, for `service types -v` and suggestions.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionInfo {
    pub key: String,
    pub types: Vec<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub default: Option<Value>,
}

fn types_of(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ if schema.get("properties").is_some() => vec!["object".into()],
        _ => vec!["string".into()],
    }
}

/// Every settable option, sorted by key. Objects with `properties` are walked into.
pub fn options(schema: &Value) -> Vec<OptionInfo> {
    let mut out = Vec::new();
    walk(schema, "", &mut out);
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

fn walk(schema: &Value, prefix: &str, out: &mut Vec<OptionInfo>) {
    let children =
        schema.get("properties").and_then(Value::as_object).into_iter().flatten().map(|(k, v)| (k.clone(), v)).chain(
            schema
                .get("patternProperties")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.values())
                .map(|v| ("KEY".to_string(), v)),
        );
    for (name, child) in children {
        let key = if prefix.is_empty() { name } else { format!("{prefix}.{name}") };
        let nested = child.get("properties").is_some() || child.get("patternProperties").is_some();
        if nested {
            walk(child, &key, out);
        } else {
            out.push(OptionInfo {
                key,
                types: types_of(child),
                title: child.get("title").and_then(Value::as_str).map(str::to_string),
                description: child.get("description").and_then(Value::as_str).map(str::to_string),
                default: child.get("default").cloned(),
            });
        }
    }
}

/// The schema node for a dotted key, if the key exists.
fn node<'a>(schema: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(schema, |cur, seg| {
        cur.get("properties")
            .and_then(|p| p.get(seg))
            .or_else(|| cur.get("patternProperties").and_then(Value::as_object).and_then(|m| m.values().next()))
    })
}

/// Split `KEY=VALUE` at the first `=`.
pub fn split(arg: &str) -> Result<(&str, &str), CliError> {
    match arg.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k, v)),
        _ => Err(CliError::usage(format!("invalid -c option '{arg}': expected KEY=VALUE"))
            .hint("for example -c pg.max_connections=200; see `avn service types -v` for the options")),
    }
}

fn unknown_key(key: &str, schema: &Value, service_type: &str) -> CliError {
    let all = options(schema);
    let close = closest(key, all.iter().map(|o| o.key.as_str()));
    let mut e = CliError::usage(format!("unknown option '{key}' for service type '{service_type}'"));
    if !close.is_empty() {
        e = e.hint(format!("did you mean: {}", close.join(", ")));
    }
    e.hint(format!("list the options with `avn service types -v` (service type '{service_type}')"))
}

/// Up to three candidates close to `word` (edit distance, or prefix/suffix match).
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = candidates
        .map(|c| {
            let d = levenshtein(word, c);
            let last = c.rsplit('.').next().unwrap_or(c);
            let bonus = if c.contains(word) || last == word.rsplit('.').next().unwrap_or(word) { 0 } else { d };
            (bonus, c)
        })
        .filter(|(d, c)| *d <= (word.len().max(c.len()) / 3).max(2))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c.to_string()).collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Type `raw` for `key` and set it in `config`, nesting dotted keys.
pub fn apply(
    config: &mut Map<String, Value>,
    schema: &Value,
    service_type: &str,
    key: &str,
    raw: &str,
) -> Result<(), CliError> {
    let n = node(schema, key).ok_or_else(|| unknown_key(key, schema, service_type))?;
    let value = typed(n, key, raw)?;
    check_value(n, key, &value)?;
    set(config, key, value);
    Ok(())
}

/// Check a typed value against its schema node's limits: `minimum`/`maximum` (and the exclusive
/// forms), `enum`, `pattern`, `minLength`/`maxLength`, `maxItems`, and, for objects, each known
/// property in turn. The control plane would refuse the value anyway, but only after the request:
/// inside a rename that is after writes stopped, so everything is checked here first.
pub fn check_value(schema: &Value, key: &str, value: &Value) -> Result<(), CliError> {
    let bad = |why: String| {
        CliError::usage(format!("invalid value for -c {key}={}: {why}", show(value)))
            .hint("see the option's limits with `avn service types -v`")
    };
    if value.is_null() {
        return Ok(());
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.iter().any(|a| a == value) {
            let list: Vec<String> = allowed.iter().filter(|a| !a.is_null()).map(show).collect();
            return Err(bad(format!("must be one of {}", list.join(", "))));
        }
    }
    if let Some(n) = value.as_f64() {
        let limit = |k: &str| schema.get(k).and_then(Value::as_f64);
        if let Some(m) = limit("minimum").filter(|m| n < *m) {
            return Err(bad(format!("must be at least {}", num(m))));
        }
        if let Some(m) = limit("maximum").filter(|m| n > *m) {
            return Err(bad(format!("must be at most {}", num(m))));
        }
        if let Some(m) = limit("exclusiveMinimum").filter(|m| n <= *m) {
            return Err(bad(format!("must be more than {}", num(m))));
        }
        if let Some(m) = limit("exclusiveMaximum").filter(|m| n >= *m) {
            return Err(bad(format!("must be less than {}", num(m))));
        }
    }
    if let Some(text) = value.as_str() {
        let len = text.chars().count() as u64;
        if let Some(m) = schema.get("maxLength").and_then(Value::as_u64).filter(|m| len > *m) {
            return Err(bad(format!("must be at most {m} characters long")));
        }
        if let Some(m) = schema.get("minLength").and_then(Value::as_u64).filter(|m| len < *m) {
            return Err(bad(format!("must be at least {m} characters long")));
        }
        // A pattern this engine cannot read is left to the control plane.
        if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
            if regex::Regex::new(p).is_ok_and(|re| !re.is_match(text)) {
                return Err(bad(format!("must match the pattern {p}")));
            }
        }
    }
    if let Some(items) = value.as_array() {
        if let Some(m) = schema.get("maxItems").and_then(Value::as_u64).filter(|m| items.len() as u64 > *m) {
            return Err(bad(format!("must have at most {m} items")));
        }
        if let Some(item_schema) = schema.get("items") {
            for item in items {
                check_value(item_schema, &format!("{key}[]"), item)?;
            }
        }
    }
    if let (Some(obj), Some(props)) = (value.as_object(), schema.get("properties").and_then(Value::as_object)) {
        for (k, v) in obj {
            if let Some(child) = props.get(k) {
                check_value(child, &format!("{key}.{k}"), v)?;
            }
        }
    }
    Ok(())
}

/// A value as a person writes it: strings bare, the rest as JSON.
fn show(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}

/// A limit without a needless `.0`.
fn num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// `--remove-option KEY`: send `KEY: null`, allowed only when the schema allows null.
pub fn remove(config: &mut Map<String, Value>, schema: &Value, service_type: &str, key: &str) -> Result<(), CliError> {
    let n = node(schema, key).ok_or_else(|| unknown_key(key, schema, service_type))?;
    if !types_of(n).iter().any(|t| t == "null") {
        return Err(CliError::usage(format!("option '{key}' cannot be removed: its schema does not allow null")));
    }
    set(config, key, Value::Null);
    Ok(())
}

/// Check the top-level keys of a `--user-config-json` object against the schema,
/// and their values against its limits.
pub fn check_keys(config: &Map<String, Value>, schema: &Value, service_type: &str) -> Result<(), CliError> {
    for (k, v) in config {
        let Some(n) = node(schema, k) else {
            return Err(unknown_key(k, schema, service_type));
        };
        check_value(n, k, v)?;
    }
    Ok(())
}

fn set(config: &mut Map<String, Value>, key: &str, value: Value) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().unwrap_or(key);
    let mut cur = config;
    for p in parts {
        let entry = cur.entry(p.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        cur = entry.as_object_mut().expect("just made an object");
    }
    cur.insert(last.to_string(), value);
}

fn typed(schema: &Value, key: &str, raw: &str) -> Result<Value, CliError> {
    let types = types_of(schema);
    let has = |t: &str| types.iter().any(|x| x == t);
    if has("integer") {
        if let Some(i) = parse_int(raw) {
            return Ok(Value::Number(i.into()));
        }
    }
    if has("number") {
        if let Some(n) = raw.trim().parse::<f64>().ok().and_then(Number::from_f64) {
            return Ok(Value::Number(n));
        }
    }
    if has("boolean") {
        match raw {
            "true" | "1" => return Ok(Value::Bool(true)),
            "false" | "0" => return Ok(Value::Bool(false)),
            _ => {}
        }
    }
    if has("array") {
        if let Some(v) = parse_array(schema, key, raw)? {
            return Ok(v);
        }
    }
    if has("object") {
        if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(raw) {
            return Ok(v);
        }
    }
    if has("string") {
        return Ok(Value::String(raw.to_string()));
    }
    if has("null") && (raw == "null" || raw.is_empty()) {
        return Ok(Value::Null);
    }
    let expected = types.iter().filter(|t| *t != "null").cloned().collect::<Vec<_>>().join(" or ");
    let example = match expected.as_str() {
        "integer" => " (for example 100 or 0x40)",
        "number" => " (for example 1.5)",
        "boolean" => " (true, false, 1 or 0)",
        "array" => " (JSON like [\"a\",\"b\"], or a comma list a,b)",
        "object" => " (a JSON object like {\"k\": 1})",
        _ => "",
    };
    Err(CliError::usage(format!("invalid value for -c {key}={raw}: expected {expected}{example}")))
}

fn parse_int(raw: &str) -> Option<i64> {
    let t = raw.trim().replace('_', "");
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d.to_string()),
        None => (false, t.trim_start_matches('+').to_string()),
    };
    let lower = digits.to_ascii_lowercase();
    let v = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()?
    } else if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

fn parse_array(schema: &Value, key: &str, raw: &str) -> Result<Option<Value>, CliError> {
    let t = raw.trim();
    if t.starts_with('[') {
        // JSON, or the Python list literal the official client takes (`['a', 'b']`).
        return match serde_json::from_str::<Value>(t).ok().or_else(|| python_list(t)) {
            Some(v @ Value::Array(_)) => Ok(Some(v)),
            _ => Err(CliError::usage(format!("invalid value for -c {key}: '{raw}' is not a list"))
                .hint("write [\"a\",\"b\"] or ['a','b'], or a comma list: a,b")),
        };
    }
    let item_schema = schema.get("items").cloned().unwrap_or(Value::Null);
    if t.is_empty() {
        return Ok(Some(Value::Array(vec![])));
    }
    let items = t
        .split(',')
        .map(|part| {
            let part = part.trim();
            if item_schema.is_null() {
                Ok(Value::String(part.to_string()))
            } else {
                typed(&item_schema, &format!("{key}[]"), part)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Value::Array(items)))
}

/// A flat Python list literal of strings, numbers, booleans and None (what the official client
/// reads with `ast.literal_eval`), as JSON; None when it is not one.
fn python_list(t: &str) -> Option<Value> {
    let inner = t.strip_prefix('[')?.strip_suffix(']')?;
    let mut items = vec![];
    let mut rest = inner.trim_start();
    while !rest.is_empty() {
        let (item, after) = if let Some(q) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') {
            let mut out = String::new();
            let mut chars = rest[1..].char_indices();
            let end = loop {
                match chars.next()? {
                    (i, c) if c == q => break i + 2,
                    (_, '\\') => out.push(chars.next()?.1),
                    (_, c) => out.push(c),
                }
            };
            (Value::String(out), &rest[end..])
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let word = rest[..end].trim();
            let v = match word {
                "True" => Value::Bool(true),
                "False" => Value::Bool(false),
                "None" => Value::Null,
                w => serde_json::from_str::<serde_json::Number>(w).ok().map(Value::Number)?,
            };
            (v, &rest[end..])
        };
        items.push(item);
        rest = after.trim_start();
        match rest.strip_prefix(',') {
            Some(r) => rest = r.trim_start(),
            None if rest.is_empty() => {}
            None => return None,
        }
    }
    Some(Value::Array(items))
}

#[cfg(test)]
mod tests;
