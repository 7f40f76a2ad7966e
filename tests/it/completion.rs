//! Shell completion: the README's set-up in real shells, live names from the API, the cache.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use std::time::Instant;

use crate::support::avn_command;
use crate::support::avn_dir;
use crate::support::require_shell;
use crate::support::wait_until;

use serde_json::json;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::matchers::path;
use wiremock::Mock;
use wiremock::ResponseTemplate;

use crate::local_support::Local;
use crate::support::Env;
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

fn mode(p: &Path) -> u32 {
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

/// Run `avn __complete SHELL INDEX -- WORDS` with the line's last word under the cursor.
fn complete(env: &Env, shell: &str, line: &str) -> (Run, Duration) {
    let words: Vec<&str> = line.split(' ').collect();
    let index = (words.len() - 1).to_string();
    let mut args = vec!["__complete", shell, &index, "--"];
    args.extend(&words);
    let start = Instant::now();
    let r: Run = env.cmd(&args).output().unwrap().into();
    (r, start.elapsed())
}

fn values(env: &Env, line: &str) -> Vec<String> {
    let (r, _) = complete(env, "bash", line);
    r.code(0);
    assert_eq!(r.stderr, "", "completion prints nothing on stderr");
    r.stdout.lines().map(str::to_string).collect()
}

fn service(name: &str, service_type: &str) -> Value {
    json!({"service_name": name, "service_type": service_type, "plan": "startup-4", "cloud_name": "local", "state": "RUNNING"})
}

async fn env_with_services() -> Env {
    let mut env = Env::new().await;
    env.extra_env.push(("AIVEN_PROJECT".into(), "proj".into()));
    env.mock(
        "GET",
        "/v1/project/proj/service",
        200,
        json!({"services": [service("orders-db", "pg"), service("orders-cache", "valkey"), service("metrics", "mysql")]}),
    )
    .await;
    env
}

async fn requests_to(env: &Env, path: &str) -> usize {
    env.requests().await.iter().filter(|(_, p, _)| p == path).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn service_names_come_from_the_api_then_from_the_cache() {
    let env = env_with_services().await;
    assert_eq!(values(&env, "avn service get or"), ["orders-cache", "orders-db"]);
    assert_eq!(values(&env, "avn service wait orders-db or"), ["orders-cache"], "names given are not offered again");
    assert_eq!(values(&env, "avn service create copy --fork-from m"), ["metrics"]);
    let (r, _) = complete(&env, "zsh", "avn service terminate ");
    assert_eq!(r.stdout, "metrics\tmysql RUNNING\norders-cache\tvalkey RUNNING\norders-db\tpg RUNNING\n");
    assert_eq!(requests_to(&env, "/v1/project/proj/service").await, 1, "answered from the cache after the first");

    let cache = env.home.path().join(".cache/avn/completion");
    let file = std::fs::read_dir(&cache).unwrap().next().unwrap().unwrap().path();
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&cache), 0o700);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(crate::support::TOKEN));

    // after a minute the API is asked again
    let mut entry: Value = serde_json::from_str(&text).unwrap();
    entry["fetched_ms"] = json!(entry["fetched_ms"].as_u64().unwrap() - 61_000);
    std::fs::write(&file, entry.to_string()).unwrap();
    assert_eq!(values(&env, "avn service get orders-d"), ["orders-db"]);
    assert_eq!(requests_to(&env, "/v1/project/proj/service").await, 2);

    // a command that deletes a service forgets the cached names
    env.mock("DELETE", "/v1/project/proj/service/metrics", 200, json!({"message": "deleted"})).await;
    env.cmd(&["service", "terminate", "metrics", "--force"]).output().unwrap();
    assert!(!file.exists(), "terminate forgets the cached names");
}

#[tokio::test(flavor = "multi_thread")]
async fn projects_plans_clouds_and_backups() {
    let env = env_with_services().await;
    env.mock("GET", "/v1/project", 200, json!({"projects": [{"project_name": "proj"}, {"project_name": "staging"}]}))
        .await;
    let plans = |names: &[&str], t: &str| {
        json!({"service_plans": names.iter().map(|n| json!({"service_plan": n, "service_type": t, "node_count": 1,
            "backup_config": {"max_count": 2, "recovery_mode": "pitr"}})).collect::<Vec<_>>()})
    };
    env.mock("GET", "/v1/project/proj/service-types/pg/plans", 200, plans(&["startup-4", "business-4"], "pg")).await;
    env.mock("GET", "/v1/project/proj/service-types/mysql/plans", 200, plans(&["startup-8"], "mysql")).await;
    env.mock(
        "GET",
        "/v1/clouds",
        200,
        json!({"clouds": [{"cloud_name": "google-europe-west1", "cloud_description": "Europe, Belgium"}]}),
    )
    .await;
    env.mock(
        "GET",
        "/v1/project/proj/service/metrics/backups",
        200,
        json!({"backups": [{"backup_name": "metrics-2026-11-21_10-00", "backup_time": "2026-11-21T10:00:00Z"}]}),
    )
    .await;

    assert_eq!(values(&env, "avn --project "), ["proj", "staging"]);
    assert_eq!(values(&env, "avn service get --project=st"), ["--project=staging"]);
    assert_eq!(values(&env, "avn service fork metrics copy --source-project s"), ["staging"]);
    // plans of the source's type when forking, of -t when given
    assert_eq!(values(&env, "avn service fork metrics copy -p "), ["startup-8"]);
    assert_eq!(values(&env, "avn service fork metrics copy -t pg -p "), ["business-4", "startup-4"]);
    assert_eq!(values(&env, "avn service create new -t pg:startup-4 --plan s"), ["startup-4"]);
    assert_eq!(values(&env, "avn service create new --fork-from metrics -p "), ["startup-8"]);
    assert_eq!(values(&env, "avn service update orders-db -p b"), ["business-4"]);
    assert_eq!(values(&env, "avn service create new -p "), Vec::<String>::new(), "no type, no plans");
    assert_eq!(values(&env, "avn service create new -t pg --cloud "), ["google-europe-west1"]);
    assert_eq!(values(&env, "avn service fork metrics copy --backup "), ["metrics-2026-11-21_10-00"]);
    let (r, _) = complete(&env, "zsh", "avn service plans -t pg --cloud g");
    assert_eq!(r.stdout, "google-europe-west1\tEurope, Belgium\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_options_are_not_offered() {
    let env = Env::new().await;
    for line in ["avn service get --", "avn service get --idle", "avn --max", "avn -", "avn service get db1 "] {
        let got = values(&env, line);
        assert!(!got.is_empty() || line.contains("idle") || line.contains("max"), "{line}");
        assert!(!got.iter().any(|v| v.contains("idle-timeout") || v.contains("max-age")), "{line}: {got:?}");
    }
    assert!(!values(&env, "avn ").iter().any(|v| v.starts_with("__")), "the completion entry point is not offered");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_that_never_answers_costs_a_moment_and_prints_nothing() {
    // Accepts connections (the kernel completes them) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut env = env_with_services().await;
    env.extra_env.push(("AIVEN_WEB_URL".into(), format!("http://{}", silent.local_addr().unwrap())));
    let (r, took) = complete(&env, "bash", "avn service get ");
    r.code(0);
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    assert!(took < Duration::from_secs(5), "returned after {took:?}");
}

/// Whether a background refresh (`avn __complete refresh ...`) runs with `home` as its HOME.
fn refresh_running(home: &Path) -> bool {
    let (refresh, home) = (b"__complete\0refresh\0", format!("HOME={}\0", home.display()));
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let environ = std::fs::read(e.path().join("environ")).unwrap_or_default();
        cmdline.windows(refresh.len()).any(|w| w == refresh)
            && environ.windows(home.len()).any(|w| w == home.as_bytes())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_api_gets_a_moment_then_stale_names_are_offered() {
    let mut env = Env::new().await;
    env.extra_env.push(("AIVEN_PROJECT".into(), "proj".into()));
    let body = json!({"services": [service("orders-db", "pg")]});
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body.clone()))
        .up_to_n_times(1)
        .mount(&env.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body).set_delay(Duration::from_secs(10)))
        .mount(&env.server)
        .await;
    assert_eq!(values(&env, "avn service get o"), ["orders-db"]);
    // a minute later, the API has become slow: the names from before
    let cache = env.home.path().join(".cache/avn/completion");
    let file = std::fs::read_dir(&cache).unwrap().next().unwrap().unwrap().path();
    let mut entry: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    entry["fetched_ms"] = json!(entry["fetched_ms"].as_u64().unwrap() - 61_000);
    std::fs::write(&file, entry.to_string()).unwrap();
    // Counted from here: on a loaded machine the first Tab may have outrun its budget too and
    // started a background refresh of its own; counted once that one has asked, or has ended.
    tokio::task::block_in_place(|| {
        wait_until("the first Tab's background refresh to ask the API or end", Duration::from_secs(30), || {
            let asked = tokio::runtime::Handle::current().block_on(requests_to(&env, "/v1/project/proj/service"));
            (asked >= 2 || !refresh_running(env.home.path())).then_some(())
        })
    });
    let before = requests_to(&env, "/v1/project/proj/service").await;
    let (r, took) = complete(&env, "bash", "avn service get o");
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("orders-db\n", ""));
    assert!(took < Duration::from_secs(5), "returned after {took:?}");
    assert!(requests_to(&env, "/v1/project/proj/service").await > before, "it did ask");
}

#[tokio::test(flavor = "multi_thread")]
async fn names_too_slow_for_one_tab_are_there_for_the_next() {
    let mut env = Env::new().await;
    env.extra_env.push(("AIVEN_PROJECT".into(), "proj".into()));
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"services": [service("orders-db", "pg")]}))
                .set_delay(Duration::from_millis(1500)),
        )
        .mount(&env.server)
        .await;
    let (r, took) = complete(&env, "bash", "avn service get o");
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    assert!(took < Duration::from_secs(5), "returned after {took:?}");
    // a refresh in the background waits longer and fills the cache
    let cache = env.home.path().join(".cache/avn/completion");
    wait_until("a refresh in the background", Duration::from_secs(20), || {
        let filled = std::fs::read_dir(&cache).is_ok_and(|d| {
            d.flatten().any(|e| {
                e.file_name().to_string_lossy().starts_with("services-")
                    && e.path().extension().is_some_and(|x| x == "json")
            })
        });
        if !filled {
            // more Tabs meanwhile do not start more refreshes
            complete(&env, "bash", "avn service get o");
        }
        filled.then_some(())
    });
    let (r, took) = complete(&env, "bash", "avn service get o");
    assert_eq!(r.stdout, "orders-db\n");
    assert!(took < Duration::from_secs(1), "answered from the cache after {took:?}");
    let asked = requests_to(&env, "/v1/project/proj/service").await;
    assert!(asked < 15, "one background refresh, plus one short try per Tab: {asked}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_token_nothing_is_offered_and_nothing_asked() {
    let mut env = env_with_services().await;
    env.token = None;
    assert_eq!(values(&env, "avn service get "), Vec::<String>::new());
    assert_eq!(env.requests().await.len(), 0);
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
