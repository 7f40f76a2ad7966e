//! Values written into `postgresql.conf` include files. That file is not SQL: a string value is
//! single-quoted, a quote inside is doubled and a backslash starts an escape, and a value cannot
//! span lines.

/// Why a value cannot be written into a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} cannot be written into postgresql.conf: it contains a line break or NUL")]
pub struct UnwritableValue {
    pub what: &'static str,
    pub value: String,
}

/// `value` as a quoted configuration string; refused when it holds a line break or NUL.
pub fn quote(what: &'static str, value: &str) -> Result<String, UnwritableValue> {
    if value.contains(['\n', '\r', '\0']) {
        return Err(UnwritableValue { what, value: value.to_string() });
    }
    Ok(format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''")))
}

/// A path as one word of a shell command (`archive_command`, `restore_command`): single-quoted
/// for the shell, with `%` doubled because PostgreSQL expands `%p` and `%f` in those commands.
pub fn shell_word(path: &str) -> String {
    format!("'{}'", path.replace('\'', r"'\''").replace('%', "%%"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_backslashes_and_line_breaks() {
        assert_eq!(quote("v", "Europe/Helsinki").unwrap(), "'Europe/Helsinki'");
        assert_eq!(quote("v", r"it's C:\tmp").unwrap(), r"'it''s C:\\tmp'");
        for bad in ["a\nb", "a\rb", "a\0b", "x'\\\n"] {
            let e = quote("timezone", bad).unwrap_err();
            assert!(e.to_string().contains("timezone"), "{e}");
        }
    }

    #[test]
    fn shell_words_survive_quotes_and_percent_signs() {
        assert_eq!(shell_word("/var/lib/a b"), "'/var/lib/a b'");
        assert_eq!(shell_word("/tmp/it's/100%"), r"'/tmp/it'\''s/100%%'");
        // Through both layers: the conf string holds the shell command unchanged.
        let cmd = format!("cp {} \"%p\"", shell_word("/x/it's"));
        assert_eq!(quote("c", &cmd).unwrap(), r#"'cp ''/x/it''\\''''s'' "%p"'"#);
    }
}
