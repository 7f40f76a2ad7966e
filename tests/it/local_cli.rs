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
        let mut c = crate::support::avn_command(self.dir.path());
        c.env("AVN_LOCAL_DIR", self.dir.path().join("local")).args(args);
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

/// `avn local serve` processes whose command line names this data directory.
fn servers_of(dir: &std::path::Path) -> usize {
    let needle = dir.to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains("local serve") && c.contains(&needle))
        .count()
}

#[test]
fn two_ups_at_once_end_with_one_server_and_down_never_signals_a_stranger() {
    let h = Home::new();
    let (a, b) = (
        h.cmd(&["local", "up", "--port", "0"]).spawn().unwrap(),
        h.cmd(&["local", "up", "--port", "0"]).spawn().unwrap(),
    );
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for out in [&a, &b] {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let local = h.dir.path().join("local");
    assert_eq!(servers_of(&local), 1, "one server per data directory");
    let url = |o: &std::process::Output| {
        let e = String::from_utf8_lossy(&o.stderr).to_string();
        e.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_default().to_string()
    };
    assert_eq!(url(&a), url(&b), "both use the same server");
    h.avn(&["service", "list"]).code(0);
    // A third server on the same directory is refused and leaves server.json alone.
    let before = std::fs::read(local.join("server.json")).unwrap();
    let r = h.avn(&["local", "serve", "--listen", "127.0.0.1:0"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("already runs on"), "{}", r.stderr);
    assert_eq!(std::fs::read(local.join("server.json")).unwrap(), before);
    h.avn(&["local", "down"]).code(0);
    assert_eq!(servers_of(&local), 0);

    // A stale server.json that names another live process: down does not signal it.
    let mut stranger = Command::new("sleep").arg("60").spawn().unwrap();
    let info = serde_json::json!({"pid": stranger.id(), "url": "http://127.0.0.1:9"});
    std::fs::write(local.join("server.json"), info.to_string()).unwrap();
    let r = h.avn(&["local", "down"]);
    r.code(0);
    assert!(r.stderr.contains("was not signalled"), "{}", r.stderr);
    assert!(stranger.try_wait().unwrap().is_none(), "the stranger is still running");
    stranger.kill().unwrap();
    stranger.wait().unwrap();
}

fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_data_directory_and_logs_are_private_from_the_start() {
    let h = Home::new();
    let local = h.dir.path().join("local");
    // It already exists, readable by everyone.
    std::fs::create_dir_all(&local).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&local, std::fs::Permissions::from_mode(0o755)).unwrap();
    h.avn(&["local", "up", "--port", "0"]).code(0);
    h.avn(&["service", "create", "db1", "-t", "pg", "--plan", "hobbyist", "--wait", "--timeout", "120"]).code(0);
    // 0700; 0711 (traversable, not listable) when root runs PostgreSQL as another user.
    assert!([0o700, 0o711].contains(&mode(&local)), "{:o}", mode(&local));
    for f in ["server.log", "state.db", "state.db.copy", "token", "server.json", "ca/ca.key"] {
        assert_eq!(mode(&local.join(f)), 0o600, "{f}");
    }
    let instances = avn_local::LocalDir::new(&local).instances();
    for inst in std::fs::read_dir(&instances).unwrap() {
        let log = inst.unwrap().path().join("postgres.log");
        assert_eq!(mode(&log), 0o600, "{}", log.display());
    }
}

#[test]
fn serve_in_the_foreground_stops_every_cluster_on_sigterm_and_on_ctrl_c() {
    for signal in ["TERM", "INT"] {
        let h = Home::new();
        let local = h.dir.path().join("local");
        let mut server = h.cmd(&["local", "serve", "--listen", "127.0.0.1:0"]).spawn().unwrap();
        let info = crate::support::wait_until("server.json", std::time::Duration::from_secs(30), || {
            std::fs::read(local.join("server.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        });
        let url = info["url"].as_str().unwrap().to_string();
        let token = std::fs::read_to_string(local.join("token")).unwrap();
        let api = |args: &[&str]| -> Run {
            let mut all = args.to_vec();
            all.extend(["--url", &url, "--auth-token", token.trim(), "--project", "p"]);
            h.cmd(&all).output().unwrap().into()
        };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let c = crate::support::client(&url, token.trim());
        rt.block_on(c.project_create("p")).unwrap();
        api(&["service", "create", "db", "-t", "pg", "-p", "hobbyist", "--wait", "--timeout", "120"]).code(0);
        let postgres = || {
            std::fs::read_dir("/proc")
                .unwrap()
                .flatten()
                .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
                .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
                .filter(|c| c.contains("postgres") && c.contains("-D") && c.contains(&*local.to_string_lossy()))
                .count()
        };
        assert!(postgres() >= 1, "a cluster runs");
        std::process::Command::new("kill").args([&format!("-{signal}"), &server.id().to_string()]).status().unwrap();
        let status = server.wait().unwrap();
        assert!(status.success() || status.code().is_some(), "{signal}: {status:?}");
        assert_eq!(postgres(), 0, "{signal}: no postgres process is left behind");
        assert!(!local.join("server.json").exists(), "{signal}: no stale server.json");
    }
}

#[test]
fn after_down_a_command_says_how_to_log_in_or_start_the_local_control_plane() {
    let h = Home::new();
    h.avn(&["local", "up", "--port", "0"]).code(0);
    h.avn(&["local", "down", "--purge"]).code(0);
    // No project: where to get one.
    let r = h.avn(&["service", "list"]);
    r.code(2);
    assert!(r.stderr.contains("no project given") && r.stderr.contains("`avn local up`"), "{}", r.stderr);
    // A project but no token: log in, or start the local control plane. Nothing is sent anywhere.
    let r = h.avn(&["service", "list", "--project", "prod"]);
    r.code(4);
    assert!(r.stderr.contains("avn user login --token") && r.stderr.contains("`avn local up`"), "{}", r.stderr);
}
