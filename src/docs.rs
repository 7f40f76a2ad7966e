//! Generated documentation: shell completion scripts and man pages, from the clap definition.
//!
//! `cargo xtask gen` writes them to `completions/` and `man/`; `avn completion SHELL` prints a
//! script; a test regenerates everything in memory and fails when the checked-in files differ.

use clap::Command;
use clap_complete::Shell;

use crate::cli::EXIT_CODES;
use crate::env_vars;

/// The completion script for a shell. The bash, zsh and fish scripts ask `avn __complete` at
/// every Tab (see `crate::complete`); the others are clap_complete's static scripts.
pub fn completion(shell: Shell) -> String {
    match shell {
        Shell::Bash => include_str!("complete/shell/avn.bash").to_string(),
        Shell::Zsh => include_str!("complete/shell/_avn").to_string(),
        Shell::Fish => include_str!("complete/shell/avn.fish").to_string(),
        _ => {
            let mut cmd = crate::cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "avn", &mut buf);
            String::from_utf8(buf).expect("completion scripts are UTF-8")
        }
    }
}

/// Checked-in completion files: (path under the repository, contents).
pub fn completion_files() -> Vec<(String, String)> {
    vec![
        ("completions/avn.bash".into(), completion(Shell::Bash)),
        ("completions/_avn".into(), completion(Shell::Zsh)),
        ("completions/avn.fish".into(), completion(Shell::Fish)),
    ]
}

fn roff_escape(s: &str) -> String {
    let s = s.replace('\\', "\\\\").replace('-', "\\-");
    s.lines()
        .map(|l| if l.starts_with('.') || l.starts_with('\'') { format!("\\&{l}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Split a long description into the text and its `Examples:` lines.
fn split_examples(long: &str) -> (String, Vec<String>) {
    match long.split_once("Examples:\n") {
        Some((text, ex)) => {
            (text.trim_end().to_string(), ex.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect())
        }
        None => (long.to_string(), vec![]),
    }
}

fn extra_sections(examples: &[String], see_also: &[String]) -> String {
    let mut s = String::new();
    if !examples.is_empty() {
        s.push_str(".SH EXAMPLES\n");
        for e in examples {
            s.push_str(&format!(".PP\n.nf\n.RS 4\n{}\n.RE\n.fi\n", roff_escape(e)));
        }
    }
    s.push_str(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in EXIT_CODES {
        s.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff_escape(meaning)));
    }
    s.push_str(".SH ENVIRONMENT\n");
    for (name, about) in env_vars::ALL {
        s.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff_escape(name), roff_escape(about)));
    }
    s.push_str(".SH FILES\n");
    for (path, about) in [
        (
            "~/.config/aiven/aiven\\-client.json",
            "client configuration (default_project), shared with the official client; $AIVEN_CLIENT_CONFIG",
        ),
        (
            "~/.config/aiven/aiven\\-credentials.json",
            "API token (auth_token) and user_email, mode 0600; $AIVEN_CREDENTIALS_FILE",
        ),
        (
            "~/.config/aiven/avn\\-local.json",
            "present while avn uses the local control plane (written by avn local up)",
        ),
        (
            "~/.local/share/avn/local/",
            "local control plane: token, state.db, server.json, server.log, instances/; $AVN_LOCAL_DIR",
        ),
        ("~/.local/share/avn/renames/", "rename journals, one JSON file per rename, for \\-\\-resume; $AVN_DATA_DIR"),
        (
            "~/.cache/avn/completion/",
            "names offered by shell completion, per API URL and project, mode 0600, refreshed after a minute; $XDG_CACHE_HOME",
        ),
    ] {
        s.push_str(&format!(".TP\n\\fI{path}\\fR\n{}\n", roff_escape(about)));
    }
    if !see_also.is_empty() {
        s.push_str(".SH \"SEE ALSO\"\n");
        s.push_str(&see_also.iter().map(|p| format!("\\fB{}\\fR(1)", roff_escape(p))).collect::<Vec<_>>().join(", "));
        s.push('\n');
    }
    s
}

fn page(cmd: &Command, file_stem: &str, bin: &str, see_also: &[String]) -> String {
    let long = cmd.get_long_about().or(cmd.get_about()).map(|s| s.to_string()).unwrap_or_default();
    let (text, examples) = split_examples(&long);
    let cmd = cmd
        .clone()
        .name(file_stem.to_string())
        .bin_name(bin.to_string())
        .long_about(text)
        .after_help("")
        .after_long_help("");
    let man = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    man.render_title(&mut buf).expect("write to memory");
    man.render_name_section(&mut buf).expect("write to memory");
    man.render_synopsis_section(&mut buf).expect("write to memory");
    man.render_description_section(&mut buf).expect("write to memory");
    man.render_options_section(&mut buf).expect("write to memory");
    man.render_subcommands_section(&mut buf).expect("write to memory");
    let mut out = String::from_utf8(buf).expect("roff is UTF-8");
    out.push_str(&extra_sections(&examples, see_also));
    let mut buf = Vec::new();
    man.render_version_section(&mut buf).expect("write to memory");
    out.push_str(&String::from_utf8(buf).expect("roff is UTF-8"));
    out
}

/// Every man page: `man/avn.1` and one per subcommand (`man/avn-service-fork.1`, ...).
pub fn man_pages() -> Vec<(String, String)> {
    let mut root = crate::cli::command();
    root.build();
    let mut out = Vec::new();
    let subs: Vec<String> = visible_subcommands(&root).map(|c| format!("avn-{}", c.get_name())).collect();
    out.push(("man/avn.1".to_string(), page(&root, "avn", "avn", &subs)));
    walk(&root, "avn", "avn", &mut out);
    out
}

fn visible_subcommands(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands().filter(|c| !c.is_hide_set() && c.get_name() != "help")
}

fn walk(cmd: &Command, stem: &str, bin: &str, out: &mut Vec<(String, String)>) {
    for sub in visible_subcommands(cmd) {
        let s = format!("{stem}-{}", sub.get_name());
        let b = format!("{bin} {}", sub.get_name());
        let mut see_also = vec![stem.to_string()];
        see_also.extend(visible_subcommands(sub).map(|c| format!("{s}-{}", c.get_name())));
        out.push((format!("man/{s}.1"), page(sub, &s, &b, &see_also)));
        walk(sub, &s, &b, out);
    }
}
