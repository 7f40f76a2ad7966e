//! `--env-file FILE[:VAR]`: hand a service's URI to the next step of a job, as `VAR=URI` in an
//! env file (atomic, the file's mode kept, 0600 when new) or on stdout (`-`, for
//! `>> "$GITHUB_ENV"`).

use std::io::Write;

pub use avn_cli::parse::EnvFile;

/// Write `var=value` where `target` says. A file's other lines are kept; an existing `var` line
/// (with or without `export`, quoted or not) is replaced in place.
pub fn write(target: &EnvFile, value: &str) -> anyhow::Result<()> {
    let Some(path) = &target.path else {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}={value}", target.var)?;
        return Ok(out.flush()?);
    };
    let (text, mode) = match std::fs::read_to_string(path) {
        Ok(t) => {
            use std::os::unix::fs::PermissionsExt;
            (t, std::fs::metadata(path)?.permissions().mode())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), 0o600),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
    };
    let updated = set_var(&text, &target.var, value);
    avn_util::crashsafe::write(path, updated.as_bytes(), mode & 0o7777)
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot replace {}", path.display())))
}

/// `text` with `var` set to `value`: replaced where it is, else appended.
pub fn set_var(text: &str, var: &str, value: &str) -> String {
    let mut found = false;
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| {
            let trimmed = l.trim_start();
            let (prefix, rest) = match trimmed.strip_prefix("export ") {
                Some(r) => ("export ", r.trim_start()),
                None => ("", trimmed),
            };
            match rest.strip_prefix(var).and_then(|r| r.strip_prefix('=')) {
                Some(old_value) => {
                    found = true;
                    let quote = old_value.chars().next().filter(|c| *c == '"' || *c == '\'');
                    match quote {
                        Some(q) => format!("{prefix}{var}={q}{value}{q}"),
                        None => format!("{prefix}{var}={value}"),
                    }
                }
                None => l.to_string(),
            }
        })
        .collect();
    if !found {
        lines.push(format!("{var}={value}"));
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') || !found {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use avn_cli::parse::parse_env_file as parse;

    #[test]
    fn parses_files_variables_and_stdout() {
        assert_eq!(parse(".env").unwrap(), EnvFile { path: Some(".env".into()), var: "DATABASE_URL".into() });
        assert_eq!(parse(".env:PG_URL").unwrap(), EnvFile { path: Some(".env".into()), var: "PG_URL".into() });
        assert_eq!(parse("-").unwrap(), EnvFile { path: None, var: "DATABASE_URL".into() });
        assert_eq!(parse("-:X").unwrap(), EnvFile { path: None, var: "X".into() });
        assert!(parse(".env:1BAD").is_err());
        assert!(parse(":X").is_err());
    }

    #[test]
    fn writes_atomically_keeping_the_mode_and_other_lines() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".env");
        let target = EnvFile { path: Some(p.clone()), var: "DATABASE_URL".into() };
        write(&target, "postgres://a").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "DATABASE_URL=postgres://a\n");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600, "new: private");
        std::fs::write(&p, "A=1\nexport DATABASE_URL=\"old\"\nB=2\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write(&target, "postgres://b").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "A=1\nexport DATABASE_URL=\"postgres://b\"\nB=2\n");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640, "mode kept");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1, "no temporary file left");
    }
}
