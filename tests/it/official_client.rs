//! The official Python client (aiven-client 4.18) against the local control plane.
//! The client comes from `target/official-client` (`scripts/install-deps`); see `differential`.

use std::process::Command;
use std::time::Duration;

use crate::local_support::*;
use crate::support::Run;

pub(crate) fn official(python: &std::path::Path, l: &Local, args: &[&str]) -> Run {
    let mut all = vec!["-m", "aiven.client", "--url", &l.url];
    all.extend(args);
    Command::new(python)
        .args(&all)
        .env("AIVEN_AUTH_TOKEN", &l.token)
        .env("AIVEN_CONFIG_DIR", l.dir.path().join("official-config"))
        .env("HOME", l.dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
        .into()
}

#[test]
fn official_client_works_against_avn_local() {
    let Some(python) = crate::differential::official_python() else { return };
    let official = |l: &Local, args: &[&str]| official(&python, l, args);
    let l = Local::start();
    let r = official(&l, &["service", "types", "--project", "local"]);
    r.code(0);
    assert!(r.stdout.contains("pg ") && r.stdout.contains("PostgreSQL"), "{}", r.stdout);
    official(&l, &["service", "types", "-v", "--project", "local"]).code(0);
    // Tables that read every field of what they show (the client fails with a KeyError when one
    // is missing).
    let r = official(&l, &["service", "versions"]);
    r.code(0);
    assert!(r.stdout.contains("TERMINATION_TIME") && r.stdout.contains("pg "), "{}", r.stdout);
    // Ours prints the same, byte for byte, as text and as JSON, with and without a project.
    assert_eq!(l.avn(&["service", "versions"]).code(0).stdout, r.stdout, "service versions");
    for args in [&["service", "versions", "--json"][..], &["service", "versions", "--project", "local", "--json"]] {
        assert_eq!(l.avn(args).code(0).stdout, official(&l, args).code(0).stdout, "{args:?}");
    }
    let r = official(&l, &["project", "details", "--project", "local"]);
    r.code(0);
    assert!(r.stdout.contains("BILLING_CURRENCY") && r.stdout.contains("USD"), "{}", r.stdout);
    official(&l, &["project", "list", "-v"]).code(0);
    let theirs = official(&l, &["user", "info", "--json"]);
    theirs.code(0);
    let ours = l.avn(&["user", "info", "--json"]);
    assert_eq!(ours.code(0).stdout, theirs.stdout, "user info --json: the same as the official client");
    assert!(ours.stdout.contains("\"local\""), "{}", ours.stdout);

    official(&l, &["service", "create", "src", "--project", "local", "-t", "pg", "--plan", "startup-4"]).code(0);
    let r = official(&l, &["service", "wait", "src", "--project", "local", "--timeout", "120"]);
    r.code(0);
    let uri = l.uri("src");
    sql(&uri, "CREATE TABLE t (id int, batch text); INSERT INTO t VALUES (1, 'before')").unwrap();
    // Not synchronisation: over a second between the commits and the target, which is named to
    // the second.
    std::thread::sleep(Duration::from_millis(1200));
    // The form the official client documents: no zone, taken as UTC.
    let target =
        jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).datetime().strftime("%Y-%m-%d %H:%M:%S").to_string();
    std::thread::sleep(Duration::from_millis(1200));
    sql(&uri, "INSERT INTO t VALUES (2, 'after')").unwrap();

    // The documentation's fork command, and a PITR fork.
    official(
        &l,
        &[
            "service",
            "create",
            "forked",
            "--project",
            "local",
            "--cloud",
            "local",
            "-t",
            "pg",
            "--plan",
            "startup-4",
            "-c",
            "service_to_fork_from=src",
        ],
    )
    .code(0);
    official(
        &l,
        &[
            "service",
            "create",
            "pitr",
            "--project",
            "local",
            "-t",
            "pg",
            "--plan",
            "startup-4",
            "--service-to-fork-from",
            "src",
            "--recovery-target-time",
            &target,
        ],
    )
    .code(0);
    official(&l, &["service", "wait", "forked", "pitr", "--project", "local", "--timeout", "120"]).code(0);
    assert_eq!(batches(&l.uri("forked")), "after|1 before|1");
    assert_eq!(batches(&l.uri("pitr")), "before|1");

    let r = official(&l, &["service", "get", "pitr", "--project", "local", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.code(0).stdout).unwrap();
    assert_eq!(v["state"], "RUNNING");
    let r = official(&l, &["service", "list", "--project", "local"]);
    assert!(r.code(0).stdout.contains("forked"), "{}", r.stdout);
    let r = official(&l, &["service", "backup-list", "src", "--project", "local"]);
    assert!(r.code(0).stdout.contains("backup-"), "{}", r.stdout);
    official(&l, &["service", "integration-list", "src", "--project", "local"]).code(0);

    official(&l, &["service", "update", "src", "--project", "local", "--power-off"]).code(0);
    assert_eq!(l.service("src")["state"], "POWEROFF");
    official(&l, &["service", "update", "src", "--project", "local", "--power-on"]).code(0);
    official(&l, &["service", "wait", "src", "--project", "local", "--timeout", "120"]).code(0);
    assert_eq!(batches(&uri), "after|1 before|1");

    // `-c pg_version=N` makes the official client check the version's end of life.
    let major = l.avn(&["service", "types", "--json"]).json()["pg"]["default_version"].as_str().unwrap().to_string();
    let version = format!("pg_version={major}");
    official(&l, &["service", "create", "ver", "--project", "local", "-t", "pg", "--plan", "hobbyist", "-c", &version])
        .code(0);
    for s in ["src", "forked", "pitr", "ver"] {
        official(&l, &["service", "terminate", s, "--project", "local", "--force"]).code(0);
    }
    assert_eq!(l.avn(&["service", "list", "--json"]).code(0).json(), serde_json::json!([]));
    assert_eq!(l.postmasters(), 0);
}
