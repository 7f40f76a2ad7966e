//! `avn local up | status | down` as a new user runs them: no flags, no Aiven account.

use std::process::Command;

use crate::support::Run;

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        Home { dir }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_avn"));
        c.env_clear()
            .env("HOME", self.dir.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .env("AVN_LOCAL_DIR", self.dir.path().join("local"))
            .stdin(std::process::Stdio::null())
            .args(args);
        c
    }

    fn avn(&self, args: &[&str]) -> Run {
        self.cmd(args).output().unwrap().into()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = self.cmd(&["local", "down", "--purge"]).output();
    }
}

#[test]
fn up_makes_documented_commands_work_without_flags_and_down_undoes_it() {
    let h = Home::new();
    // An existing Aiven login must be kept and not sent to the local control plane.
    let cfg = h.dir.path().join(".config/aiven");
    std::fs::create_dir_all(&cfg).unwrap();
    let creds = r#"{"auth_token": "aiven-REAL-token", "user_email": "me@example.com"}"#;
    std::fs::write(cfg.join("aiven-credentials.json"), creds).unwrap();
    std::fs::write(cfg.join("aiven-client.json"), r#"{"default_project": "prod"}"#).unwrap();

    let r = h.avn(&["local", "up", "--port", "0"]);
    r.code(0);
    assert!(r.stderr.contains("Local control plane started at http://127.0.0.1:"), "{}", r.stderr);
    assert!(r.stderr.contains("your Aiven login is kept"), "{}", r.stderr);

    h.avn(&["service", "create", "db1", "-t", "pg", "--plan", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let r = h.avn(&["-v", "service", "list"]);
    r.code(0);
    assert!(r.stdout.contains("db1") && r.stdout.contains("RUNNING"), "{}", r.stdout);
    assert!(r.stderr.contains("using the local control plane at http://127.0.0.1:"), "{}", r.stderr);

    // --print-env: for other tools, and the control plane is not started twice
    let r = h.avn(&["local", "up", "--print-env"]);
    r.code(0);
    assert!(r.stderr.contains("Local control plane running at"), "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    let url = lines[0].strip_prefix("export AIVEN_WEB_URL=").unwrap();
    let token = lines[1].strip_prefix("export AIVEN_AUTH_TOKEN=").unwrap();
    assert_eq!(lines[2], "export AIVEN_PROJECT=local");
    let r: Run = h
        .cmd(&["service", "get", "db1", "--json"])
        .env("AIVEN_WEB_URL", url)
        .env("AIVEN_AUTH_TOKEN", token)
        .env("AIVEN_PROJECT", "local")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code(0).json()["state"], "RUNNING");

    let r = h.avn(&["local", "status"]);
    r.code(0);
    assert!(
        r.stdout.contains("Local control plane: running at") && r.stdout.contains("Used by avn: yes"),
        "{}",
        r.stdout
    );
    let v = h.avn(&["local", "status", "--json"]).code(0).json();
    assert_eq!(v["services"][0]["service_name"], "db1");
    let pid = v["services"][0]["pid"].as_u64().expect("postmaster pid");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());

    let r = h.avn(&["local", "down"]);
    r.code(0);
    assert!(r.stderr.contains("avn no longer uses the local control plane"), "{}", r.stderr);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z")
    );
    assert_eq!(std::fs::read_to_string(cfg.join("aiven-credentials.json")).unwrap(), creds);
    let r = h.avn(&["local", "status"]);
    assert!(r.code(0).stdout.contains("not running") && r.stdout.contains("Used by avn: no"), "{}", r.stdout);

    // back up: the service is still there, with its data
    h.avn(&["local", "up", "--port", "0"]).code(0);
    h.avn(&["service", "wait", "db1", "--timeout", "120"]).code(0);
    h.avn(&["local", "down", "--purge"]).code(0);
    assert!(!h.dir.path().join("local").exists());
}
