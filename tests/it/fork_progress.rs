//! `service fork` waiting for its fork, against a fixture API (`fork_fixture.rs`): rate limits
//! ridden out, progress as plain lines without a terminal and as phases on one.

use serde_json::json;
use wiremock::matchers::method;
use wiremock::matchers::path;
use wiremock::Mock;
use wiremock::ResponseTemplate;

use crate::fork_fixture::fixture;
use crate::fork_fixture::plan;
use crate::fork_fixture::progress_fixture;
use crate::fork_fixture::svc;
use crate::support::Env;

#[tokio::test(flavor = "multi_thread")]
async fn wait_rides_out_rate_limits_honouring_retry_after() {
    let env = Env::new().await;
    fixture(&env, "valkey", "startup-4", json!([plan("startup-4", 1)]), false).await;
    env.mock(
        "POST",
        "/v1/project/proj/service",
        200,
        json!({"service": svc("new", "valkey", "startup-4", "REBUILDING", json!([]))}),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service/new"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"message": "Too many requests"})),
        )
        .up_to_n_times(6)
        .mount(&env.server)
        .await;
    env.mock(
        "GET",
        "/v1/project/proj/service/new",
        200,
        json!({"service": svc("new", "valkey", "startup-4", "RUNNING", json!([]))}),
    )
    .await;
    let r = env.run(&["service", "fork", "src", "new", "-v", "--timeout", "60"]);
    r.code(0);
    assert!(r.stderr.contains("HTTP 429"), "{}", r.stderr);
    let gets = env.requests().await.into_iter().filter(|(m, p, _)| m == "GET" && p.ends_with("/service/new")).count();
    assert_eq!(gets, 1 + 6 + 1, "existence check, six rate-limited polls, one answer");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_terminal_progress_is_plain_lines() {
    let env = Env::new().await;
    progress_fixture(&env).await;
    let r = env.run(&["service", "fork", "src", "new"]);
    r.code(0);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.contains(" new: ")).collect();
    let tails: Vec<&str> = lines.iter().map(|l| l.split_once(' ').unwrap().1).collect();
    // Phases in the user's words, never the control plane's internal names.
    assert_eq!(
        tails,
        vec![
            "new: REBUILDING (copying the base backup)",
            "new: REBUILDING (replaying changes up to the latest transaction)",
            "new: RUNNING"
        ],
        "{}",
        r.stderr
    );
    assert!(lines.iter().all(|l| l.as_bytes()[2] == b':' && l.as_bytes()[5] == b':'), "timestamped: {lines:?}");
    assert!(!r.stderr.contains('\x1b'), "no terminal control codes");
    // --json: no progress at all, one object
    let env = Env::new().await;
    progress_fixture(&env).await;
    let r = env.run(&["service", "fork", "src", "new", "--json"]);
    assert!(!r.code(0).stderr.contains("REBUILDING"), "{}", r.stderr);
    assert_eq!(r.json()["fork"]["source"], "src");
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_progress_shows_phases_and_reaches_100() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED: script(1) is not installed");
        return;
    }
    let env = Env::new().await;
    progress_fixture(&env).await;
    let bin = crate::support::AVN;
    let out = env
        .cmd(&[])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .env("AIVEN_PROJECT", "proj")
        // A narrow terminal: every line must fit it rather than wrap.
        .args(["-qfec", &format!("stty rows 24 cols 72; {bin} service fork src new"), "/dev/null"])
        .output_with_program("script");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("REBUILDING · copying the base backup"), "{text}");
    assert!(text.contains(" 40%"), "{text}");
    assert!(text.contains("REBUILDING · replaying changes"), "{text}");
    // What the terminal shows: each redraw (after a carriage return or a cursor move) fits.
    let plain = strip_ansi(&text);
    for line in plain.split(['\r', '\n']) {
        assert!(line.chars().count() <= 72, "wider than the terminal ({}): {line:?}", line.chars().count());
    }
    assert!(text.contains(" 90%"), "{text}");
    assert!(text.contains("100%") && text.contains("RUNNING"), "{text}");
}

/// Text without terminal control sequences (CSI `ESC [ ... letter`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

trait WithProgram {
    fn output_with_program(&mut self, program: &str) -> std::process::Output;
}

impl WithProgram for std::process::Command {
    /// Run the same arguments and environment under another program (here `script`).
    fn output_with_program(&mut self, program: &str) -> std::process::Output {
        let mut c = std::process::Command::new(program);
        c.env_clear();
        for (k, v) in self.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        c.args(self.get_args()).stdin(std::process::Stdio::null()).output().unwrap()
    }
}
