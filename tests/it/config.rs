use std::fs;

use serde_json::json;
use serde_json::Value;

use crate::support::*;

fn read_json(p: &std::path::Path) -> Value {
    serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn login_with_token_from_env_writes_private_files_compatibly() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project", 200, json!({"projects": [{"project_name": "alpha"}, {"project_name": "beta"}]}))
        .await;
    let r: Run = env.cmd(&["user", "login", "--token", "me@example.com"]).output().unwrap().into();
    r.code(0).no_token();
    let dir = env.config_dir();
    let creds = read_json(&dir.join("aiven-credentials.json"));
    assert_eq!(creds, json!({"auth_token": TOKEN, "user_email": "me@example.com"}));
    assert_eq!(read_json(&dir.join("aiven-client.json")), json!({"default_project": "alpha"}));
    #[cfg(unix)]
    {
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("aiven-credentials.json")), 0o600);
        assert_eq!(mode(&dir.join("aiven-client.json")), 0o600);
    }
    assert!(r.stderr.contains("Default project set as 'alpha'"));
}

#[tokio::test(flavor = "multi_thread")]
async fn login_from_stdin_keeps_unknown_keys_and_refuses_bad_tokens() {
    let mut env = Env::new().await;
    env.token = None;
    env.mock("GET", "/v1/project", 200, json!({"projects": [{"project_name": "alpha"}]})).await;
    let dir = env.config_dir();
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("aiven-credentials.json"), r#"{"auth_token": "old", "user_email": "a@b", "extra": 1}"#).unwrap();
    fs::write(dir.join("aiven-client.json"), r#"{"default_project": "alpha", "other": true}"#).unwrap();
    let mut child = env
        .cmd(&["user", "login", "--token"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(format!("{TOKEN}\n").as_bytes()).unwrap();
    let r: Run = child.wait_with_output().unwrap().into();
    r.code(0).no_token();
    assert_eq!(
        read_json(&dir.join("aiven-credentials.json")),
        json!({"auth_token": TOKEN, "user_email": "a@b", "extra": 1})
    );
    assert_eq!(read_json(&dir.join("aiven-client.json")), json!({"default_project": "alpha", "other": true}));
    let raw = env.server.received_requests().await.unwrap();
    assert_eq!(raw[0].headers.get("authorization").unwrap(), &format!("aivenv1 {TOKEN}"));

    // a token the API refuses is not stored
    let env2 = Env::new().await;
    env2.mock("GET", "/v1/project", 401, json!({"message": "Invalid token"})).await;
    let r: Run = env2.cmd(&["user", "login", "--token"]).output().unwrap().into();
    r.code(4).no_token();
    assert!(r.stderr.contains("nothing was stored"));
    assert!(!env2.config_dir().join("aiven-credentials.json").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn stored_credentials_and_precedence() {
    let mut env = Env::new().await;
    env.token = None;
    env.mock("GET", "/v1/project/fileproj/service", 200, json!({"services": []})).await;
    env.mock("GET", "/v1/project/envproj/service", 200, json!({"services": []})).await;
    env.mock("GET", "/v1/project/flagproj/service", 200, json!({"services": []})).await;
    let dir = env.config_dir();
    fs::create_dir_all(&dir).unwrap();
    // written by the official client: one-line credentials, indented config
    fs::write(dir.join("aiven-credentials.json"), format!("{{\"auth_token\": \"{TOKEN}\", \"user_email\": \"me@x\"}}"))
        .unwrap();
    fs::write(dir.join("aiven-client.json"), "{\n    \"default_project\": \"fileproj\"\n}").unwrap();
    env.cmd(&["service", "list"]).output().unwrap();
    env.extra_env.push(("AIVEN_PROJECT".into(), "envproj".into()));
    env.cmd(&["service", "list"]).output().unwrap();
    env.cmd(&["service", "list", "--project", "flagproj"]).output().unwrap();
    env.extra_env.push(("AIVEN_AUTH_TOKEN".into(), "env-token".into()));
    env.cmd(&["service", "list"]).output().unwrap();
    env.cmd(&["--auth-token", "flag-token", "service", "list"]).output().unwrap();
    let raw = env.server.received_requests().await.unwrap();
    let seen: Vec<(String, String)> = raw
        .iter()
        .map(|r| (r.url.path().to_string(), r.headers.get("authorization").unwrap().to_str().unwrap().to_string()))
        .collect();
    let t = format!("aivenv1 {TOKEN}");
    assert_eq!(
        seen,
        vec![
            ("/v1/project/fileproj/service".to_string(), t.clone()),
            ("/v1/project/envproj/service".to_string(), t.clone()),
            ("/v1/project/flagproj/service".to_string(), t),
            ("/v1/project/envproj/service".to_string(), "aivenv1 env-token".to_string()),
            ("/v1/project/envproj/service".to_string(), "aivenv1 flag-token".to_string()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn project_switch_checks_and_logout_removes() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project", 200, json!({"projects": [{"project_name": "alpha"}, {"project_name": "beta"}]}))
        .await;
    let r: Run = env.cmd(&["project", "switch", "zz"]).output().unwrap().into();
    r.code(1);
    assert!(r.stderr.contains("available projects: alpha, beta"));
    assert!(!env.config_dir().join("aiven-client.json").exists());
    env.cmd(&["project", "switch", "beta"]).output().unwrap();
    assert_eq!(read_json(&env.config_dir().join("aiven-client.json")), json!({"default_project": "beta"}));

    let creds = env.config_dir().join("aiven-credentials.json");
    fs::write(&creds, "{}").unwrap();
    let r: Run = env.cmd(&["user", "logout"]).output().unwrap().into();
    r.code(0);
    assert!(!creds.exists());
    assert!(r.stderr.contains("AIVEN_AUTH_TOKEN is set"));
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2_and_help_exits_0() {
    let env = Env::new().await;
    let r: Run = env.cmd(&["service", "frob"]).output().unwrap().into();
    r.code(2);
    let r: Run = env.cmd(&["service", "list", "--jsn"]).output().unwrap().into();
    r.code(2);
    assert!(r.stderr.contains("--json"), "suggests the right flag: {}", r.stderr);
    let r: Run = env.cmd(&["--help"]).output().unwrap().into();
    r.code(0);
    assert!(r.stdout.contains("Exit status:") && r.stdout.contains("130  interrupted"));
    let r: Run = env.cmd(&[]).output().unwrap().into();
    assert!(r.stderr.contains("Usage") || r.stdout.contains("Usage"));
}
