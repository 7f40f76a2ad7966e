//! How a differential case's two outcomes are compared (the suite is `differential.rs`): the
//! writes, the files, `--json` output or a table's headers, and what each `Expect` allows.

use serde_json::Value;

use crate::differential::Case;
use crate::differential::Expect;
use crate::differential::Outcome;

/// The JSON paths where two values differ.
fn json_diff(at: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let (va, vb) = (x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null));
                if !x.contains_key(k) || !y.contains_key(k) {
                    let show = |m: &serde_json::Map<String, Value>, v: &Value| {
                        if m.contains_key(k) {
                            v.to_string()
                        } else {
                            "missing".to_string()
                        }
                    };
                    out.push(format!("{at}.{k} (ours {}, official {})", show(x, va), show(y, vb)));
                } else {
                    json_diff(&format!("{at}.{k}"), va, vb, out);
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                json_diff(&format!("{at}[{i}]"), va, vb, out);
            }
        }
        _ if a != b => out.push(format!("{at} (ours {a}, official {b})")),
        _ => {}
    }
}

/// The first line's words, when the output looks like one of the official client's tables.
fn table_header(stdout: &str) -> Option<Vec<String>> {
    let mut lines = stdout.lines();
    let first = lines.next()?;
    let second = lines.next()?;
    (second.starts_with('=') && second.chars().all(|c| c == '=' || c == ' '))
        .then(|| first.split_whitespace().map(str::to_string).collect())
}

/// Compare one case; an error names every difference found.
pub(crate) fn compare(c: &Case, ours: &Outcome, official: &Outcome) -> Result<(), String> {
    let line = c.args.join(" ");
    let show = |o: &Outcome| format!("exit {}\n  stdout: {}\n  stderr: {}", o.run.code, o.run.stdout, o.run.stderr);
    let context = || format!("`avn {line}`\n--- ours: {}\n--- official: {}", show(ours), show(official));
    let ok = |o: &Outcome| o.run.code == 0;
    if let Expect::WeRefuse(id) = c.expect {
        if !ok(official) || ok(ours) {
            return Err(format!("{id} no longer shows (official must succeed, ours refuse): {}", context()));
        }
        if !ours.writes.is_empty() {
            return Err(format!("{id}: we refused but sent {:?}: {}", ours.writes, context()));
        }
        return Ok(());
    }
    if let Expect::WeAccept(id) = c.expect {
        if ok(official) || !ok(ours) {
            return Err(format!("{id} no longer shows (official must fail, ours succeed): {}", context()));
        }
        return Ok(());
    }
    if ok(ours) != ok(official) {
        return Err(format!("one refused, the other did not: {}", context()));
    }
    if c.expect == Expect::SameText && !ok(ours) {
        return Err(format!("a text comparison needs both to succeed (is the fixture route missing?): {}", context()));
    }
    let mut diffs = vec![];
    match c.expect {
        Expect::Normalised(id, from, to) => {
            let theirs = serde_json::to_string(&official.writes).unwrap();
            let expected = theirs.replace(&format!("\"{from}\""), &format!("\"{to}\""));
            if theirs == expected {
                diffs.push(format!("{id} no longer shows: the official client did not send {from:?}"));
            } else if serde_json::to_string(&ours.writes).unwrap() != expected {
                diffs.push(format!(
                    "requests differ:\n  ours:     {:?}\n  official: {:?}",
                    ours.writes, official.writes
                ));
            }
        }
        _ if ours.writes != official.writes => {
            diffs.push(format!("requests differ:\n  ours:     {:?}\n  official: {:?}", ours.writes, official.writes));
        }
        _ => {}
    }
    if ours.files != official.files {
        diffs.push(format!("files differ:\n  ours:     {}\n  official: {}", ours.files, official.files));
    }
    if ok(ours) {
        let as_json = c.args.contains(&"--json");
        let as_format = c.args.contains(&"--format");
        match c.expect {
            Expect::SameText => {
                if ours.run.stdout != official.run.stdout {
                    diffs.push("stdout differs".to_string());
                }
            }
            Expect::OutputDiffers(id) => {
                if ours.run.stdout == official.run.stdout {
                    diffs.push(format!("{id} no longer shows: stdout is equal"));
                }
            }
            _ if as_json => {
                let parse = |o: &Outcome| serde_json::from_str::<Value>(&o.run.stdout).map_err(|e| e.to_string());
                if parse(ours) != parse(official) {
                    let mut paths = vec![];
                    json_diff(
                        "",
                        &parse(ours).unwrap_or(Value::Null),
                        &parse(official).unwrap_or(Value::Null),
                        &mut paths,
                    );
                    diffs.push(format!("--json output differs at: {}", paths.join(", ")));
                }
            }
            _ if as_format => {
                if ours.run.stdout != official.run.stdout {
                    diffs.push("--format output differs".to_string());
                }
            }
            _ => {
                if table_header(&ours.run.stdout) != table_header(&official.run.stdout) {
                    diffs.push(format!(
                        "table headers differ: ours {:?}, official {:?}",
                        table_header(&ours.run.stdout),
                        table_header(&official.run.stdout)
                    ));
                }
            }
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n{}", diffs.join("\n"), context()))
    }
}
