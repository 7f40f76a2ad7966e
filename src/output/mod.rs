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

use crate::cli::GlobalArgs;
use crate::env_vars;

pub mod http_log;
pub mod json;
pub mod progress;
pub mod service;
pub mod tables;
pub mod template;

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
    pub fn new(g: &GlobalArgs) -> Printer {
        let stderr_tty = std::io::stderr().is_terminal();
        Printer {
            json: g.json,
            format: g.format.clone(),
            verbose: g.verbose,
            show_secrets: g.show_secrets,
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
            let tpl = template::Template::parse(f)?;
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

    /// A status message on stderr.
    pub fn info(&self, msg: &str) {
        eprintln!("{msg}");
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
        let tpl = template::Template::parse(self.format.as_deref().unwrap_or(default_template))?;
        Ok(self.line(&tpl.render(&item)?)?)
    }
}

impl Printer {
    /// Whether data goes out as a table (neither `--json` nor `--format`).
    pub fn tabular(&self) -> bool {
        !self.json && self.format.is_none()
    }
}
