//! The parsers of option values: durations, `--env-file` and `--run-sql` specs. Each refuses
//! bad input with a message clap prints as a usage error (exit 2), before anything runs.

use std::path::PathBuf;
use std::time::Duration;

use jiff::SignedDuration;
use jiff::SpanRelativeTo;

/// The longest duration accepted (100 years): anything longer is a typo, and would overflow
/// timers and instants.
const MAX_DURATION: Duration = Duration::from_secs(100 * 366 * 86_400);

/// Parse `300` (seconds, as the official client takes), or friendly units with jiff: `90s`, `5m`,
/// `1h30m`, `2d`, `1h 5m`, `1 week`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration: give seconds (300) or units (5m, 1h30m)".into());
    }
    let d = if let Ok(secs) = t.parse::<f64>() {
        if secs.is_nan() || secs < 0.0 {
            return Err(format!("invalid duration '{s}': must not be negative"));
        }
        Duration::try_from_secs_f64(secs).map_err(|_| too_long(s))?
    } else {
        let span = parse_span(t)
            .ok_or_else(|| format!("invalid duration '{s}': give seconds (300) or units like 90s, 5m, 1h30m, 2d"))?;
        if span.is_negative() {
            return Err(format!("invalid duration '{s}': must not be negative"));
        }
        Duration::try_from(span).map_err(|_| too_long(s))?
    };
    if d > MAX_DURATION {
        return Err(too_long(s));
    }
    Ok(d)
}

fn too_long(s: &str) -> String {
    format!("invalid duration '{s}': longer than 100 years")
}

/// jiff's friendly spans (`1d3h`, `90m`, `2h ago`, `-90m`), with days of 24 hours and weeks of 7
/// days; months and years have no fixed length and are refused.
pub fn parse_span(s: &str) -> Option<SignedDuration> {
    let span: jiff::Span = s.parse().ok()?;
    span.to_duration(SpanRelativeTo::days_are_24_hours()).ok()
}

/// The variable written when none is named.
pub const DEFAULT_VAR: &str = "DATABASE_URL";

/// Where to put the URI.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvFile {
    /// None: stdout.
    pub path: Option<PathBuf>,
    pub var: String,
}

/// `--env-file`: `FILE`, `FILE:VAR`, `-` or `-:VAR`.
pub fn parse_env_file(raw: &str) -> Result<EnvFile, String> {
    // An existing file whose name has a ':' is that file.
    if raw != "-" && std::path::Path::new(raw).is_file() {
        return Ok(EnvFile { path: Some(PathBuf::from(raw)), var: DEFAULT_VAR.to_string() });
    }
    let (path, var) = match raw.rsplit_once(':') {
        Some((p, v)) if is_var(v) => (p, v.to_string()),
        Some((_, v)) if !v.is_empty() && !v.contains('/') => {
            return Err(format!("--env-file {raw}: '{v}' is not a variable name"));
        }
        _ => (raw, DEFAULT_VAR.to_string()),
    };
    if path.is_empty() {
        return Err("--env-file needs a file name, or - for stdout".to_string());
    }
    Ok(EnvFile { path: (path != "-").then(|| PathBuf::from(path)), var })
}

fn is_var(v: &str) -> bool {
    let mut chars = v.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One `--run-sql` file and the database it runs in (None: the service's default database).
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFile {
    pub path: PathBuf,
    pub db: Option<String>,
}

/// Parse `FILE` or `FILE@DB`; the file must be readable now, before anything is created.
pub fn parse_sql_file(raw: &str) -> Result<SqlFile, String> {
    // A file whose name has an '@' is that file; else `@DB` must name a database.
    let is_db = |d: &str| {
        d.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let (path, db) = match raw.rsplit_once('@') {
        _ if std::path::Path::new(raw).is_file() => (raw, None),
        Some((p, d)) if is_db(d) => (p, Some(d.to_string())),
        _ => (raw, None),
    };
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(SqlFile { path: PathBuf::from(path), db })
}
