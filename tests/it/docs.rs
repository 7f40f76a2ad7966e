//! Generated files, help text and shell completion in real shells.

use std::path::PathBuf;
use std::process::Command;

use crate::support::avn_command;
use crate::support::require_shell;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn generated_files_are_up_to_date() {
    let mut expected: Vec<(String, String)> = avn::docs::completion_files();
    expected.extend(avn::docs::man_pages());
    for (rel, text) in &expected {
        let on_disk = std::fs::read_to_string(repo().join(rel)).unwrap_or_default();
        assert!(on_disk == *text, "{rel} is stale or missing: run `cargo xtask gen`");
    }
    let mut pages: Vec<String> = std::fs::read_dir(repo().join("man"))
        .unwrap()
        .map(|e| format!("man/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    pages.sort();
    let mut want: Vec<String> = expected.iter().map(|(r, _)| r.clone()).filter(|r| r.starts_with("man/")).collect();
    want.sort();
    assert_eq!(pages, want, "man/ has files the CLI no longer has: run `cargo xtask gen`");
    for page in ["man/avn-service-fork.1", "man/avn-service-rename.1", "man/avn.1"] {
        assert!(want.contains(&page.to_string()));
    }
}

#[test]
fn completion_command_prints_the_checked_in_scripts() {
    let home = tempfile::tempdir().unwrap();
    for (shell, file) in [("bash", "avn.bash"), ("zsh", "_avn"), ("fish", "avn.fish")] {
        let out = avn_command(home.path()).args(["completion", shell]).output().unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            std::fs::read_to_string(repo().join("completions").join(file)).unwrap()
        );
    }
}

fn check_help(cmd: &clap::Command, path: &str, problems: &mut Vec<String>) {
    let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
    if about.is_empty() {
        problems.push(format!("{path}: no help line"));
    } else if about.ends_with('.') || !about.chars().next().unwrap().is_uppercase() {
        problems.push(format!("{path}: '{about}' should start with a capital and have no trailing period"));
    }
    if cmd.get_subcommands().next().is_none()
        && cmd.get_long_about().is_none_or(|l| !l.to_string().contains("Examples:"))
        && !path.ends_with("logout")
    {
        problems.push(format!("{path}: no examples in the long help"));
    }
    for arg in cmd.get_arguments() {
        if arg.is_hide_set() || ["help", "version"].contains(&arg.get_id().as_str()) {
            continue;
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        if help.is_empty() || help.ends_with('.') || !help.chars().next().unwrap().is_uppercase() {
            problems.push(format!("{path} {}: help '{help}'", arg.get_id()));
        }
    }
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        check_help(sub, &format!("{path} {}", sub.get_name()), problems);
    }
}

#[test]
fn every_command_and_flag_has_an_imperative_help_line() {
    let mut problems = vec![];
    check_help(&avn::cli::command(), "avn", &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn man_pages_render_cleanly() {
    if Command::new("man").arg("--version").output().is_err() {
        eprintln!("SKIPPED: man is not installed");
        return;
    }
    let out = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(repo().join("man/avn-service-rename.1"))
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "0")
        .output()
        .unwrap();
    // man marks bold and underline with backspaces when not writing to a terminal
    let raw: Vec<char> = String::from_utf8_lossy(&out.stdout).chars().collect();
    let mut text = String::new();
    let mut i = 0;
    while i < raw.len() {
        if i + 1 < raw.len() && raw[i + 1] == '\u{8}' {
            i += 2;
            continue;
        }
        text.push(raw[i]);
        i += 1;
    }
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{warnings}");
    assert!(warnings.trim().is_empty(), "man warnings: {warnings}");
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "EXIT STATUS", "ENVIRONMENT", "FILES"] {
        assert!(text.contains(&format!("\n{section}\n")), "missing {section}:\n{text}");
    }
    assert!(text.contains("avn service rename db1 orders-db --resume"), "{text}");
    assert!(text.contains("AIVEN_AUTH_TOKEN") && text.contains("renames/"), "{text}");
}

/// A shell with the avn under test first in PATH (the scripts call it) and an empty home.
fn shell_cmd(shell: &str) -> Command {
    let bin = crate::support::avn_dir().display().to_string();
    let mut c = Command::new(shell);
    c.env("PATH", format!("{bin}:{}", std::env::var("PATH").unwrap_or_default()))
        .env("HOME", std::env::temp_dir().join("avn-docs-test-home"))
        .env_remove("XDG_CACHE_HOME")
        .env_remove("AIVEN_WEB_URL")
        .env_remove("AIVEN_AUTH_TOKEN");
    c
}

fn bash_complete(line: &str) -> Vec<String> {
    let script = format!(
        "source /usr/share/bash-completion/bash_completion\nsource {}\n\
         COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; read -ra COMP_WORDS <<< \"$COMP_LINE\"\n\
         [[ \"$COMP_LINE\" == *' ' ]] && COMP_WORDS+=('')\n\
         COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n\
         _avn avn \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        repo().join("completions/avn.bash").display()
    );
    let out = shell_cmd("bash").arg("-c").arg(script).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().to_string()).collect()
}

#[test]
fn bash_completes_subcommands_flags_and_service_types() {
    if !std::path::Path::new("/usr/share/bash-completion/bash_completion").exists() {
        eprintln!("SKIPPED: bash-completion is not installed");
        return;
    }
    assert_eq!(bash_complete("avn service f"), vec!["fork"]);
    let flags = bash_complete("avn service fork --p");
    assert!(flags.contains(&"--pitr".into()) && flags.contains(&"--plan".into()), "{flags:?}");
    let types = bash_complete("avn service create db1 -t ");
    assert!(types.contains(&"pg".into()) && types.contains(&"mysql".into()), "{types:?}");
    assert!(bash_complete("avn service re").contains(&"rename".into()));
}

/// Complete `line` in an interactive zsh (through a pseudo-terminal) and return the candidates.
fn zsh_complete(line: &str) -> Vec<String> {
    let script = format!(
        r#"
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1=""; fpath=({dir} $fpath); autoload -Uz compinit; compinit -u -D'
zpty -w z 'compadd () {{ if [[ "$*" == *-O* || "$*" == *-A* || "$*" == *-D* ]]; then builtin compadd "$@"; return; fi; typeset -a __hits; builtin compadd -A __hits "$@"; (( $#__hits )) && print -l -- "" "HIT:"${{^__hits}}; builtin compadd "$@"; }}'
zpty -w z 'print READY-$((40+2))'
integer n=0
while (( n < 1500 )); do
  if zpty -rt z l; then [[ $l == *READY-42* ]] && break; else sleep 0.01; (( n++ )); fi
done
zpty -n -w z '{line}'$'\t'
zpty -n -w z $'\x15'
zpty -w z 'print DONE-$((40+2))'
n=0
while (( n < 1500 )); do
  if zpty -rt z l; then
    [[ $l == *DONE-42* ]] && break
    [[ $l == HIT:* ]] && print -r -- ${{${{l#HIT:}}%%$'\r'}}
  else sleep 0.01; (( n++ )); fi
done
zpty -d z
"#,
        dir = repo().join("completions").display()
    );
    let out = shell_cmd("zsh").arg("-f").arg("-c").arg(&script).env("TERM", "xterm").output().unwrap();
    let hits: Vec<String> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
    if hits.is_empty() {
        eprintln!(
            "zsh printed nothing for {line:?}; stderr: {}\nscript:\n{script}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    hits
}

#[test]
fn zsh_completes_subcommands_flags_and_service_types() {
    if !require_shell("zsh") {
        return;
    }
    let subs = zsh_complete("avn service f");
    assert!(subs.contains(&"fork".into()), "{subs:?}");
    let flags = zsh_complete("avn service fork --p");
    assert!(flags.contains(&"--pitr".into()) && flags.contains(&"--plan".into()), "{flags:?}");
    let types = zsh_complete("avn service create db1 -t ");
    assert!(types.contains(&"pg".into()) && types.contains(&"mysql".into()), "{types:?}");
}

#[test]
fn help_names_environment_variables_without_values() {
    let home = tempfile::tempdir().unwrap();
    let out = avn_command(home.path())
        .arg("--help")
        .env("AIVEN_WEB_URL", "https://example.invalid")
        .env("AIVEN_AUTH_TOKEN", "secret-token-value")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("[env: AIVEN_WEB_URL]") && help.contains("[env: AIVEN_PROJECT]"), "{help}");
    assert!(
        !help.contains("=]") && !help.contains("secret-token-value") && !help.contains("example.invalid"),
        "{help}"
    );
}

#[test]
fn man_synopsis_shows_value_names_and_global_options_apart() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/man/avn-service-fork.1")).unwrap();
    let synopsis = page.split(".SH SYNOPSIS\n").nth(1).unwrap().split(".SH").next().unwrap();
    for own in [r"\fB\-c\fR \fIKEY=VALUE\fR...", r"\fB\-\-pitr\fR \fITIME\fR", r"\fISOURCE\fR \fINEW\fR"] {
        assert!(synopsis.contains(own), "{own} missing from SYNOPSIS: {synopsis}");
    }
    // Global options are not interleaved with the command's own: one placeholder, one section.
    assert!(!synopsis.contains(r"\-\-url") && synopsis.contains(r"[\fIGLOBAL OPTIONS\fR]"), "{synopsis}");
    let globals = page.split(".SH \"GLOBAL OPTIONS\"").nth(1).expect("a GLOBAL OPTIONS section");
    assert!(globals.contains(r"\fB\-\-url\fR \fIURL\fR"), "{globals}");
    let options = page.split(".SH OPTIONS").nth(1).unwrap().split(".SH").next().unwrap();
    assert!(!options.contains(r"\-\-auth\-token"), "global options are listed once, apart: {options}");
}

#[test]
fn version_names_this_implementation() {
    let home = tempfile::tempdir().unwrap();
    let out = avn_command(home.path()).arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    // The official client prints "aiven-client 4.18.0"; a user with both on PATH can tell them apart.
    assert!(text.starts_with("avn 0.") && text.contains("not Aiven's aiven-client"), "{text}");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains(text.trim().trim_start_matches("avn ")), "README's Install section shows {text}");
}

#[test]
fn the_readme_names_every_package_the_scripts_install() {
    let script = std::fs::read_to_string(repo().join("scripts/install-deps")).unwrap();
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let setup = readme.split("## Install").next().unwrap();
    let packages: Vec<&str> = script
        .split("missing+=(")
        .skip(1)
        .flat_map(|rest| rest.split(')').next().unwrap().split_whitespace())
        .collect();
    assert!(packages.len() >= 10, "{packages:?}");
    for p in packages {
        assert!(
            setup.contains(&format!("`{p}`")),
            "README's set-up section does not name `{p}`, which scripts/install-deps installs"
        );
    }
}
