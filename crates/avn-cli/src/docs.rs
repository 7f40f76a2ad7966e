//! Generated documentation: shell completion scripts and man pages, from the clap definition.
//!
//! `cargo xtask gen` writes them to `completions/` and `man/`; `avn completion SHELL` prints a
//! script; a test regenerates everything in memory and fails when the checked-in files differ.

use clap::Command;
use clap_complete::Shell;

use crate::env_vars;
use crate::EXIT_CODES;

/// The completion script for a shell. The bash, zsh and fish scripts ask `avn __complete` at
/// every Tab (see `crate::complete`); the others are clap_complete's static scripts.
pub fn completion(shell: Shell) -> String {
    match shell {
        Shell::Bash => include_str!("../shell/avn.bash").to_string(),
        Shell::Zsh => include_str!("../shell/_avn").to_string(),
        Shell::Fish => include_str!("../shell/avn.fish").to_string(),
        _ => {
            let mut cmd = crate::command();
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
        ("~/.local/share/avn/renames/", "rename journals, one JSON file per rename, for --resume; $AVN_DATA_DIR"),
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
    // The command's own options in SYNOPSIS and OPTIONS; global options in a section of their own.
    let globals: Vec<clap::Arg> = cmd.get_arguments().filter(|a| is_global(a)).cloned().collect();
    let own = globals.iter().fold(cmd, |c, g| c.mut_arg(g.get_id(), |a| a.hide(true)));
    let man = clap_mangen::Man::new(own.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf).expect("write to memory");
    man.render_name_section(&mut buf).expect("write to memory");
    buf.extend_from_slice(synopsis(&own, bin, !globals.is_empty()).as_bytes());
    man.render_description_section(&mut buf).expect("write to memory");
    man.render_options_section(&mut buf).expect("write to memory");
    buf.extend_from_slice(global_options(&globals).as_bytes());
    man.render_subcommands_section(&mut buf).expect("write to memory");
    let mut out = String::from_utf8(buf).expect("roff is UTF-8");
    out.push_str(&extra_sections(&examples, see_also));
    let mut buf = Vec::new();
    man.render_version_section(&mut buf).expect("write to memory");
    out.push_str(&String::from_utf8(buf).expect("roff is UTF-8"));
    out
}

/// Options every command takes (`--project`, `--json`, ...): shown once, in GLOBAL OPTIONS.
fn is_global(a: &clap::Arg) -> bool {
    a.is_global_set() && !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version")
}

/// How an option is written with its value: `--pitr TIME`, `-c KEY=VALUE`, `-v`.
fn usage_of(a: &clap::Arg) -> String {
    let name = match (a.get_short(), a.get_long()) {
        (Some(s), _) => format!("\\fB\\-{s}\\fR"),
        (None, Some(l)) => format!("\\fB{}\\fR", roff_escape(&format!("--{l}"))),
        (None, None) => return format!("\\fI{}\\fR", roff_escape(&value_name(a))),
    };
    if a.get_num_args().is_some_and(|n| n.takes_values())
        && !matches!(a.get_action(), clap::ArgAction::SetTrue | clap::ArgAction::Count)
    {
        format!("{name} \\fI{}\\fR", roff_escape(&value_name(a)))
    } else {
        name
    }
}

fn value_name(a: &clap::Arg) -> String {
    a.get_value_names()
        .and_then(|v| v.first())
        .map(|v| v.to_string())
        .unwrap_or_else(|| a.get_id().as_str().to_uppercase())
}

/// SYNOPSIS: the command, its own options with their value names, its arguments, then
/// `[GLOBAL OPTIONS]`.
fn synopsis(cmd: &Command, bin: &str, has_globals: bool) -> String {
    let mut parts = vec![format!("\\fB{}\\fR", roff_escape(bin))];
    for a in cmd.get_arguments().filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version")) {
        let repeat = matches!(a.get_action(), clap::ArgAction::Append | clap::ArgAction::Count);
        let mut u = usage_of(a);
        if a.is_positional() && a.get_num_args().is_some_and(|n| n.max_values() > 1) || repeat {
            u.push_str("...");
        }
        parts.push(if a.is_required_set() { u } else { format!("[{u}]") });
    }
    if cmd.has_subcommands() {
        parts.push("\\fICOMMAND\\fR".to_string());
    }
    if has_globals {
        parts.push("[\\fIGLOBAL OPTIONS\\fR]".to_string());
    }
    format!(".SH SYNOPSIS\n{}\n", parts.join(" "))
}

/// GLOBAL OPTIONS: what every subcommand takes, before or after its name.
fn global_options(globals: &[clap::Arg]) -> String {
    if globals.is_empty() {
        return String::new();
    }
    let mut s = String::from(".SH \"GLOBAL OPTIONS\"\nThese work before or after the subcommand.\n");
    for a in globals {
        let mut names = vec![];
        if let Some(c) = a.get_short() {
            names.push(format!("\\fB\\-{c}\\fR"));
        }
        if let Some(l) = a.get_long() {
            names.push(format!("\\fB{}\\fR", roff_escape(&format!("--{l}"))));
        }
        let mut head = names.join(", ");
        if a.get_num_args().is_some_and(|n| n.takes_values())
            && !matches!(a.get_action(), clap::ArgAction::SetTrue | clap::ArgAction::Count)
        {
            head.push_str(&format!(" \\fI{}\\fR", roff_escape(&value_name(a))));
        }
        let help = a.get_long_help().or(a.get_help()).map(|h| h.to_string()).unwrap_or_default();
        let env = a.get_env().map(|e| format!(" [env: {}]", e.to_string_lossy())).unwrap_or_default();
        s.push_str(&format!(".TP\n{head}\n{}{}\n", roff_escape(&help), roff_escape(&env)));
    }
    s
}

/// Every man page: `man/avn.1` and one per subcommand (`man/avn-service-fork.1`, ...).
pub fn man_pages() -> Vec<(String, String)> {
    let mut root = crate::command();
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
