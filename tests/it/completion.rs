//! Shell completion set up in real shells: the README's instructions in bash and zsh, what
//! `avn completion install` writes and says, and fish through its installed script.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;

use crate::support::avn_command;
use crate::support::avn_dir;
use crate::support::require_shell;

use crate::completion_names::env_with_services;
use crate::local_support::Local;
use crate::support::Run;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `PATH` with the avn under test first.
fn path_env() -> String {
    format!("{}:/usr/local/bin:/usr/bin:/bin", avn_dir().display())
}

/// The `sh` code blocks of the README's "Shell completion" section.
fn readme_blocks() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme.find("## Shell completion and man pages").expect("the README has the section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map(|i| i + 3).unwrap_or(section.len())];
    section.split("```sh\n").skip(1).map(|b| b[..b.find("```").unwrap()].to_string()).collect()
}

/// The README's instructions for `shell`: the block that installs for it.
fn readme_instructions(shell: &str) -> String {
    let needle = format!("avn completion install {shell}\n");
    let blocks: Vec<String> = readme_blocks().into_iter().filter(|b| b.contains(&needle)).collect();
    assert_eq!(blocks.len(), 1, "one README block installs for {shell}: {blocks:?}");
    blocks[0].clone()
}

/// A fresh home directory for a user of `shell`, with the API of `l`.
struct Home {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Home {
    fn new(l: &Local) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let env = vec![
            ("HOME".to_string(), dir.path().display().to_string()),
            ("PATH".into(), path_env()),
            ("TERM".into(), "xterm".into()),
            ("LANG".into(), "C.UTF-8".into()),
            ("AIVEN_WEB_URL".into(), l.url.clone()),
            ("AIVEN_AUTH_TOKEN".into(), l.token.clone()),
            ("AIVEN_PROJECT".into(), "local".into()),
        ];
        Home { dir, env }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Run `script` with `shell -c` in the home directory, as the user types it.
    fn run(&self, shell: &str, script: &str) -> Run {
        let mut c = Command::new(shell);
        c.env_clear().envs(self.env.iter().map(|(k, v)| (k, v))).current_dir(self.path());
        if shell == "zsh" {
            c.arg("-f");
        }
        c.arg("-c").arg(script).stdin(std::process::Stdio::null()).output().unwrap().into()
    }

    /// Start an interactive `shell` (it reads the startup files of this home) in a pseudo-terminal,
    /// type `line` and Tab, and return the command line as the shell then holds it.
    fn type_tab(&self, shell: &str, line: &str) -> String {
        // A key (Ctrl-T) that prints the line being edited, bound after the startup files ran.
        let show = match shell {
            "bash" => r#"bind -x '"\C-t": printf "\nLINE<%s>\n" "$READLINE_LINE"'"#,
            _ => r#"__show() { zle -I; print -r -- "LINE<$BUFFER>" }; zle -N __show; bindkey '^T' __show"#,
        };
        let driver = r#"
zmodload zsh/zpty
zpty s "$DRIVE_SHELL"
zpty -w s "$DRIVE_SHOW"
zpty -w s 'echo READY-$((40+2))'
out=
integer n=0
while (( n < 1500 )) && [[ $out != *READY-42* ]]; do
  if zpty -rt s chunk; then out+=$chunk; else sleep 0.01; (( n++ )); fi
done
[[ $out == *READY-42* ]] || { print -r -- "NOT READY: $out"; zpty -d s; exit 1 }
zpty -n -w s "$DRIVE_LINE"$'\t'
zpty -n -w s $'\x14'
out=
n=0
while (( n < 1500 )) && [[ $out != *'LINE<'*'>'* ]]; do
  if zpty -rt s chunk; then out+=$chunk; else sleep 0.01; (( n++ )); fi
done
print -r -- "$out"
zpty -d s
"#;
        let out = Command::new("zsh")
            .args(["-f", "-c", driver])
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("DRIVE_SHELL", format!("{shell} -i"))
            .env("DRIVE_SHOW", show)
            .env("DRIVE_LINE", line)
            .current_dir(self.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let Some(at) = text.rfind("LINE<") else {
            panic!("{shell} showed no line after Tab:\n{text}\n{}", String::from_utf8_lossy(&out.stderr))
        };
        let rest = &text[at + 5..];
        rest[..rest.find('>').unwrap_or(rest.len())].to_string()
    }
}

pub(crate) fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn readme_instructions_complete_a_service_name_in_bash_and_zsh() {
    if !require_shell("bash") || !require_shell("zsh") {
        return;
    }
    let l = Local::start();
    l.avn(&["service", "create", "cmpl-db", "-t", "pg", "-p", "startup-4"]).code(0);

    // bash, as the README says, in a home without bash-completion and without the directory
    let h = Home::new(&l);
    assert!(!h.path().join(".local").exists());
    let r = h.run("bash", &readme_instructions("bash"));
    r.code(0);
    assert!(r.stderr.contains("wrote ~/.local/share/bash-completion/completions/avn"), "{}", r.stderr);
    assert_eq!(h.type_tab("bash", "avn service get cmpl-"), "avn service get cmpl-db ");
    assert_eq!(
        h.type_tab("bash", "avn service fork cmpl-db copy -p startup"),
        "avn service fork cmpl-db copy -p startup-4 "
    );
    // Where only options can come, Tab on an empty word inserts nothing (not a lone '-').
    assert_eq!(h.type_tab("bash", "avn service get cmpl-db "), "avn service get cmpl-db ");
    // A backup time, colons and all (COMP_WORDBREAKS splits words at ':').
    l.wait_first_backup("cmpl-db");
    let time =
        l.avn(&["service", "backup-list", "cmpl-db", "--json"]).json()[0]["backup_time"].as_str().unwrap().to_string();
    let typed = &time[..time.find(':').unwrap() + 2];
    assert_eq!(
        h.type_tab("bash", &format!("avn service fork cmpl-db copy --pitr {typed}")),
        format!("avn service fork cmpl-db copy --pitr {time} ")
    );
    // the names were cached, privately
    let cache = h.path().join(".cache/avn/completion");
    let files: Vec<PathBuf> = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(files.iter().any(|f| f.file_name().unwrap().to_string_lossy().starts_with("services-")), "{files:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!text.contains(&l.token), "the token is not cached");
    }

    // bash with bash-completion loaded: installing is enough, it finds the script
    if Path::new("/usr/share/bash-completion/bash_completion").exists() {
        let h = Home::new(&l);
        std::fs::write(h.path().join(".bashrc"), "source /usr/share/bash-completion/bash_completion\n").unwrap();
        h.run("bash", "avn completion install bash").code(0);
        assert_eq!(h.type_tab("bash", "avn service get cmpl-"), "avn service get cmpl-db ");
    } else {
        eprintln!("SKIPPED (bash-completion part): bash-completion is not installed");
    }

    // zsh, as the README says
    let h = Home::new(&l);
    let r = h.run("zsh", &readme_instructions("zsh"));
    r.code(0);
    assert!(r.stderr.contains("wrote ~/.zfunc/_avn"), "{}", r.stderr);
    assert_eq!(h.type_tab("zsh", "avn service get cmpl-"), "avn service get cmpl-db ");
    assert_eq!(h.type_tab("zsh", "avn service backup-list --project lo"), "avn service backup-list --project local ");
}

#[test]
fn install_writes_each_shell_script_once_and_says_what_to_add() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str], extra: &[(&str, &str)]| -> Run {
        let mut c = avn_command(home.path());
        c.env("PATH", path_env()).args(args);
        for (k, v) in extra {
            c.env(k, v);
        }
        c.output().unwrap().into()
    };
    let r = run(&["completion", "install"], &[("SHELL", "/usr/bin/zsh")]);
    r.code(0);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("wrote ~/.zfunc/_avn"), "{}", r.stderr);
    assert!(r.stderr.contains("    fpath=(~/.zfunc $fpath)\n    autoload -Uz compinit && compinit"), "{}", r.stderr);
    let zfunc = home.path().join(".zfunc");
    assert_eq!(mode(&zfunc), 0o755, "compinit refuses group- or world-writable fpath directories");
    assert_eq!(
        std::fs::read_to_string(zfunc.join("_avn")).unwrap(),
        std::fs::read_to_string(repo().join("completions/_avn")).unwrap()
    );
    let r = run(&["completion", "install", "zsh"], &[]);
    assert!(r.stderr.contains("~/.zfunc/_avn is up to date"), "{}", r.stderr);
    std::fs::write(home.path().join(".zshrc"), "fpath=(~/.zfunc $fpath)\nautoload -Uz compinit && compinit\n").unwrap();
    let r = run(&["completion", "install", "zsh"], &[]);
    assert!(r.stderr.contains("~/.zshrc adds it to fpath"), "{}", r.stderr);

    let r = run(&["completion", "install", "bash"], &[]);
    r.code(0);
    assert!(
        r.stderr.contains("add this line to ~/.bashrc:\n    source ~/.local/share/bash-completion/completions/avn"),
        "{}",
        r.stderr
    );
    let data = home.path().join("data");
    let r = run(&["completion", "install"], &[("SHELL", "/bin/bash"), ("XDG_DATA_HOME", data.to_str().unwrap())]);
    r.code(0);
    assert!(data.join("bash-completion/completions/avn").is_file(), "{}", r.stderr);

    let r = run(&["completion", "install", "fish"], &[]);
    r.code(0);
    assert!(home.path().join(".config/fish/completions/avn.fish").is_file());
    assert!(r.stderr.contains("fish loads it"), "{}", r.stderr);

    let r = run(&["completion", "install"], &[("SHELL", "/bin/tcsh")]);
    r.code(2);
    assert!(
        r.stderr.contains("SHELL is /bin/tcsh") && r.stderr.contains("avn completion install bash|zsh|fish"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fish_completes_names_through_the_installed_script() {
    if !require_shell("fish") {
        return;
    }
    let mut env = env_with_services().await;
    env.extra_env.push(("PATH".into(), path_env()));
    env.cmd(&["completion", "install", "fish"]).output().unwrap();
    let run = |line: &str| -> String {
        let out = Command::new("fish")
            .args(["-c", &format!("complete -C '{line}'")])
            .env_clear()
            .env("HOME", env.home.path())
            .env("PATH", path_env())
            .env("AIVEN_WEB_URL", env.server.uri())
            .env("AIVEN_AUTH_TOKEN", crate::support::TOKEN)
            .env("AIVEN_PROJECT", "proj")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert_eq!(run("avn service get orders-"), "orders-cache\tvalkey RUNNING\norders-db\tpg RUNNING\n");
    assert_eq!(
        run("avn service f"),
        "fork\tFork a service, to its latest transaction or to an instant, and wait until it is ready\n"
    );
}
