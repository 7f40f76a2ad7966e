//! The one owner of stdout and stderr.
//!
//! stdout carries data only (tables, JSON, `--format` lines); messages, warnings, hints and
//! progress go to stderr. `--json` and `--format` are data the user asked for: they carry the API's
//! values as they are (as the official client prints them, for scripts that hand a URI to psql).
//! Where people read (tables, `-v` details, messages), secrets are masked unless `--show-secrets`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;
use std::io::Write;

use serde_json::Value;

use crate::env_vars;

pub mod http_log;
pub mod json;
pub mod progress;
pub mod pyformat;
pub mod service;
pub mod tables;
pub mod template;

/// What the user asked of the output, resolved from the command line.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// `--json`.
    pub json: bool,
    /// `--format TEMPLATE`.
    pub format: Option<String>,
    /// `-v`, counted.
    pub verbose: u8,
    /// `--show-secrets`.
    pub show_secrets: bool,
}

#[derive(Debug, Clone)]
pub struct Printer {
    json: bool,
    format: Option<String>,
    verbose: u8,
    show_secrets: bool,
    stderr_tty: bool,
    color: bool,
}

impl Printer {
    pub fn new(o: OutputOptions) -> Printer {
        let stderr_tty = std::io::stderr().is_terminal();
        Printer {
            json: o.json,
            format: o.format,
            verbose: o.verbose,
            show_secrets: o.show_secrets,
            stderr_tty,
            color: stderr_tty && env_vars::get(env_vars::NO_COLOR).is_none(),
        }
    }

    pub fn json_mode(&self) -> bool {
        self.json
    }
    pub fn stderr_is_tty(&self) -> bool {
        self.stderr_tty
    }
    pub fn show_secrets(&self) -> bool {
        self.show_secrets
    }
    pub fn verbosity(&self) -> u8 {
        self.verbose
    }

    /// Write one line of data to stdout.
    pub fn line(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")?;
        out.flush()
    }

    /// Mask secrets in a value unless `--show-secrets`.
    pub fn redacted(&self, mut v: Value) -> Value {
        if !self.show_secrets {
            avn_api::redact::redact_value(&mut v);
        }
        v
    }

    /// Print data: `whole` as JSON under `--json`; otherwise `rows` through the `--format`
    /// template, or as a table of `columns`.
    pub fn emit(&self, whole: Value, rows: &[Value], columns: &[&str]) -> anyhow::Result<()> {
        if self.json {
            return Ok(self.print_json(whole)?);
        }
        if let Some(f) = &self.format {
            let tpl = template::Template::python(f)?;
            let mut text = String::new();
            for r in rows {
                text.push_str(&tpl.render(r)?);
                text.push('\n');
            }
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            return Ok(out.flush()?);
        }
        let rows: Vec<Value> = rows.iter().cloned().map(|r| self.redacted(r)).collect();
        let text = tables::render(columns, &rows);
        if !text.is_empty() {
            self.line(&text)?;
        }
        Ok(())
    }

    /// Print a value as pretty JSON on stdout, as the API gave it (secrets included).
    pub fn print_json(&self, v: Value) -> std::io::Result<()> {
        let text = json::to_pretty(&v);
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// A status message on stderr. On a terminal each line wraps between words to its width,
    /// continuation lines indented under the text after the first `": "`.
    pub fn info(&self, msg: &str) {
        let width = if self.stderr_tty {
            terminal_size::terminal_size_of(std::io::stderr()).map(|(w, _)| w.0 as usize)
        } else {
            None
        };
        match width {
            Some(w) if w >= 40 => {
                eprintln!("{}", msg.lines().map(|l| wrap(l, w)).collect::<Vec<_>>().join("\n"))
            }
            _ => eprintln!("{msg}"),
        }
    }

    pub fn warn(&self, msg: &str) {
        eprintln!("{} {msg}", self.paint("warning:", "33"));
    }

    pub fn hint(&self, msg: &str) {
        eprintln!("{} {msg}", self.paint("hint:", "36"));
    }

    pub fn error(&self, head: &str, causes: &[String], hints: &[String]) {
        let mut text = format!("{} {head}\n", self.paint("error:", "31"));
        for c in causes {
            text.push_str(&format!("  caused by: {c}\n"));
        }
        for h in hints {
            text.push_str(&format!("{} {h}\n", self.paint("hint:", "36")));
        }
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
    }

    /// Raw text on stderr (prompts, tables shown as messages).
    pub fn stderr(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    fn paint(&self, s: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[1;{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

impl Printer {
    /// Print one item as one line, from `--format` if given or else `default_template`.
    pub fn emit_line(&self, item: Value, default_template: &str) -> anyhow::Result<()> {
        // The user's --format template is data; the default line is for people.
        let item = if self.format.is_some() { item } else { self.redacted(item) };
        let tpl = match &self.format {
            Some(f) => template::Template::python(f)?,
            None => template::Template::parse(default_template)?,
        };
        Ok(self.line(&tpl.render(&item)?)?)
    }
}

impl Printer {
    /// Whether data goes out as a table (neither `--json` nor `--format`): also for values
    /// shown only to people, such as sizes in KiB/MiB.
    pub fn tabular(&self) -> bool {
        !self.json && self.format.is_none()
    }
}

/// `text` wrapped between words to `width` columns; continuation lines are indented to where the
/// text after the first `": "` starts (at most a third of the width). Words longer than a line are
/// kept whole rather than cut.
pub fn wrap(text: &str, width: usize) -> String {
    let indent = text.find(": ").map(|i| i + 2).filter(|i| *i <= width / 3).unwrap_or(4);
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let len = |s: &str| s.chars().count();
        if !line.is_empty() && len(&line) + 1 + len(word) > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(indent);
        } else if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

/// Rows of an action report (`prune`, `local gc`) for a table: a `reason` that is null (no
/// reason) shows as an empty cell.
pub fn report_rows(rows: &[Value]) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            let mut r = r.clone();
            if r["reason"].is_null() {
                r["reason"] = "".into();
            }
            r
        })
        .collect()
}

/// A byte count for people: `756.8 KiB`, `1.2 GiB`, `512 B`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_breaks_between_words_and_indents() {
        let line = "[7/7] delete: done (0.4s): 'db-old' deleted after the new service took over its clients";
        let w = super::wrap(line, 50);
        assert!(w.lines().count() > 1 && w.lines().all(|l| l.chars().count() <= 50), "{w}");
        assert_eq!(w.split_whitespace().collect::<Vec<_>>(), line.split_whitespace().collect::<Vec<_>>());
        // Continuation lines start under the text after "delete: ".
        let indent = "[7/7] delete: ".len();
        assert!(w.lines().skip(1).all(|l| l.len() - l.trim_start().len() == indent), "{w}");
        assert_eq!(super::wrap("short", 40), "short");
        // A word longer than the width stays whole.
        let long = format!("x: {}", "y".repeat(60));
        assert!(super::wrap(&long, 40).contains(&"y".repeat(60)));
    }

    #[test]
    fn human_bytes() {
        assert_eq!(super::human_bytes(0), "0 B");
        assert_eq!(super::human_bytes(1023), "1023 B");
        assert_eq!(super::human_bytes(775000), "756.8 KiB");
        assert_eq!(super::human_bytes(1_288_490_189), "1.2 GiB");
        assert_eq!(super::human_bytes(u64::MAX), "16.0 EiB");
    }
}
