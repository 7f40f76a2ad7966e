//! `avn service rename` when something goes wrong part-way, on the local control plane: a failing
//! `--repoint-exec`, a timeout, a crash or an injected failure at each step, and a verify that
//! catches a late write or a fork without the fence; each ends in a rollback or a `--resume`.

#[cfg(feature = "failpoints")]
use std::time::Duration;

use crate::local_support::*;
use crate::rename_local::make_source;

#[test]
fn repoint_exec_failure_stops_before_delete_and_resume_finishes() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t VALUES (1, 'x')").unwrap();
    let flag = l.dir.path().join("deploy-ok");
    let out = l.dir.path().join("exec.out");
    let cmd = format!(
        "test -f {} && echo \"$AVN_OLD_SERVICE $AVN_NEW_SERVICE $AVN_NEW_HOST:$AVN_NEW_PORT ${{AIVEN_AUTH_TOKEN:-no-token}}\" > {}",
        flag.display(),
        out.display()
    );
    let r = l.avn(&["service", "rename", "old", "new", "--repoint-exec", &cmd, "--yes"]);
    r.code(1);
    assert!(r.stderr.contains("--repoint-exec exited") && r.stderr.contains("--resume"), "{}", r.stderr);
    l.avn(&["service", "get", "old"]).code(0);
    // the journal says where the rename stopped, and holds no password
    let journal = std::fs::read_to_string(l.dir.path().join(".local/share/avn/renames/local--old--new.json")).unwrap();
    assert!(journal.contains("\"state\": \"in_progress\""), "{journal}");
    let password = l.service("old")["service_uri_params"]["password"].as_str().unwrap().to_string();
    assert!(!journal.contains(&password), "the journal must not hold the password");
    // running it again without --resume says a rename is in progress
    let r = l.avn(&["service", "rename", "old", "new", "--yes"]);
    r.code(2);
    assert!(r.stderr.contains("in progress (next step: repoint)"), "{}", r.stderr);
    // --resume against another API that has a service of the same name is refused, and
    // nothing is deleted there.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let other = rt.block_on(wiremock::MockServer::start());
    let mut same_name = l.service("old");
    same_name["create_time"] = "2020-01-01T00:00:00Z".into();
    rt.block_on(
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({"service": same_name})))
            .mount(&other),
    );
    let r: crate::support::Run = l
        .cmd(&["service", "rename", "old", "new", "--resume", "--yes", "--url", &other.uri(), "--auth-token", "t"])
        .output()
        .unwrap()
        .into();
    r.code(2);
    assert!(r.stderr.contains("was started against") && r.stderr.contains(&l.url), "{}", r.stderr);
    let seen = rt.block_on(other.received_requests()).unwrap_or_default();
    assert!(seen.iter().all(|q| q.method.as_str() == "GET"), "no change may reach the other API: {seen:?}");
    std::fs::write(&flag, "").unwrap();
    let r = l.avn(&["service", "rename", "old", "new", "--resume"]);
    r.code(0);
    let port = l.service("new")["service_uri_params"]["port"].as_str().unwrap().to_string();
    // The hook sees the new service's details, and not the Aiven token avn itself was given.
    assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("old new 127.0.0.1:{port} no-token\n"));
    l.avn(&["service", "get", "old"]).code(1);
    assert_eq!(sql(&l.uri("new"), "SELECT count(*) FROM t").unwrap()[0][0], "1");
}

#[cfg(feature = "failpoints")]
mod failpoints {
    use super::*;

    const STEPS: &[&str] = &["stop_writes", "fork", "open_writes", "verify", "repoint", "delete"];

    #[test]
    fn a_crash_at_every_step_boundary_resumes_to_the_same_end_state() {
        let l = Local::start();
        let uri = make_source(&l, "s0");
        sql(&uri, "INSERT INTO t SELECT g, 'row' FROM generate_series(1, 100) g").unwrap();
        for (i, step) in STEPS.iter().enumerate() {
            let (old, new) = (format!("s{i}"), format!("s{}", i + 1));
            let r: crate::support::Run = l
                .cmd(&["service", "rename", &old, &new, "--yes"])
                .env("FAILPOINTS", format!("rename-before-{step}=return(crash)"))
                .output()
                .unwrap()
                .into();
            assert_eq!(r.code, -1, "the process aborted (a signal, no exit code) before {step}: {}", r.stderr);
            let r = l.avn(&["service", "rename", &old, &new, "--resume"]);
            assert_eq!(r.code, 0, "resume after a crash before {step}: {}", r.stderr);
            assert!(
                r.stderr
                    .contains(&format!("Resuming the rename of '{old}' to '{new}' at step {}", step.replace('_', " "))),
                "{}",
                r.stderr
            );
            l.avn(&["service", "get", &old]).code(1);
            let new_uri = l.uri(&new);
            assert_eq!(sql(&new_uri, "SELECT count(*) FROM t").unwrap()[0][0], "100", "after {step}");
            sql(&new_uri, "SELECT 1").unwrap();
        }
        let last = format!("s{}", STEPS.len());
        sql(&l.uri(&last), "INSERT INTO t VALUES (0, 'writable')").unwrap();
    }

    #[test]
    fn an_injected_failure_before_repointing_rolls_back() {
        let l = Local::start();
        let uri = make_source(&l, "old");
        sql(&uri, "INSERT INTO t VALUES (1, 'x')").unwrap();
        for step in ["stop_writes", "fork", "open_writes", "verify"] {
            let r: crate::support::Run = l
                .cmd(&["service", "rename", "old", "new", "--yes"])
                .env("FAILPOINTS", format!("rename-before-{step}=return"))
                .output()
                .unwrap()
                .into();
            assert_eq!(r.code, 1, "{step}: {}", r.stderr);
            assert!(r.stderr.contains(&format!("failed at step {}", step.replace('_', " "))), "{}", r.stderr);
            if step != "stop_writes" {
                assert!(r.stderr.contains("undone: writes re-enabled on 'old'"), "{step}: {}", r.stderr);
            }
            if ["open_writes", "verify"].contains(&step) {
                assert!(r.stderr.contains("undone: deleted 'new'"), "{step}: {}", r.stderr);
            }
            l.avn(&["service", "get", "new"]).code(1);
            sql(&uri, "INSERT INTO t VALUES (2, 'writable again')").unwrap();
            sql(&uri, "DELETE FROM t WHERE id = 2").unwrap();
        }
        // failures at repoint or delete leave everything for --resume
        let r: crate::support::Run = l
            .cmd(&["service", "rename", "old", "new", "--yes"])
            .env("FAILPOINTS", "rename-before-delete=return")
            .output()
            .unwrap()
            .into();
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains("nothing was rolled back"), "{}", r.stderr);
        l.avn(&["service", "rename", "old", "new", "--resume"]).code(0);
        assert_eq!(sql(&l.uri("new"), "SELECT count(*) FROM t").unwrap()[0][0], "1");
    }

    #[test]
    fn a_verification_mismatch_stops_the_rename_and_rolls_back() {
        let l = Local::start();
        let uri = make_source(&l, "old");
        sql(&uri, "INSERT INTO t VALUES (1, 'x')").unwrap();
        // The operator claims writes are stopped, but a row arrives between the fork and the check.
        let child = rename_paused_before_verify(&l, &["--yes", "--writes-stopped"]);
        sql(&uri, "INSERT INTO t VALUES (2, 'late write')").unwrap();
        let out = child.wait_with_output();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("verification failed: defaultdb.public.t: 2 rows on 'old', 1 on 'new'"), "{stderr}");
        assert!(stderr.contains("undone: deleted 'new'"), "{stderr}");
        l.avn(&["service", "get", "new"]).code(1);
        l.avn(&["service", "get", "old"]).code(0);
    }
}

#[test]
fn a_timeout_waiting_for_the_fork_exits_3_and_resume_finishes() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t SELECT g, 'x' FROM generate_series(1, 1000) g").unwrap();
    let r = l.avn(&["service", "rename", "old", "new", "--yes", "--timeout", "0.01"]);
    r.code(3);
    assert!(r.stderr.contains("avn service rename old new --resume"), "{}", r.stderr);
    // nothing was rolled back: OLD is read-only, NEW exists
    assert!(sql(&uri, "INSERT INTO t VALUES (0, 'y')").unwrap_err().contains("read-only"));
    let r = l.avn(&["service", "rename", "old", "new", "--resume", "--json"]);
    let v = r.code(0).json();
    assert_eq!(v["rename"]["state"], "done");
    assert_eq!(sql(&l.uri("new"), "SELECT count(*) FROM t").unwrap()[0][0], "1000");
    l.avn(&["service", "get", "old"]).code(1);
}

/// Start `rename old new ARGS`, held before its verify step, and return once it has printed that
/// the step before (open writes) is done: it is held there, and the test changes OLD behind the
/// rename's back before it lets it go on.
#[cfg(feature = "failpoints")]
fn rename_paused_before_verify(l: &Local, args: &[&str]) -> crate::support::Watched {
    let mut all = vec!["service", "rename", "old", "new"];
    all.extend(args);
    let mut cmd = l.cmd(&all);
    let (hold, release) = crate::support::Watched::hold_action();
    cmd.env("FAILPOINTS", format!("rename-before-verify={hold}"));
    let child = crate::support::Watched::spawn_held(cmd, release);
    child.wait_for_stderr("[4/7] open writes: ", Duration::from_secs(120));
    child
}

/// Whether the rename's fence table exists on a service.
#[cfg(feature = "failpoints")]
fn has_fence_table(uri: &str) -> bool {
    sql(uri, "SELECT to_regclass('public.avn_rename_fence') IS NOT NULL").unwrap()[0][0] == "t"
}

#[cfg(feature = "failpoints")]
#[test]
fn a_fork_without_the_fence_is_deleted_and_never_used() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t VALUES (1, 'x')").unwrap();
    let r: crate::support::Run = l
        .cmd(&["service", "rename", "old", "new", "--yes"])
        .env("FAILPOINTS", "rename-fork-loses-fence=return")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("does not hold every transaction committed on 'old'"), "{}", r.stderr);
    assert!(r.stderr.contains("undone: deleted 'new'"), "{}", r.stderr);
    assert!(r.stderr.contains("undone: fence table removed from 'old'"), "{}", r.stderr);
    l.avn(&["service", "get", "new"]).code(1);
    assert!(!has_fence_table(&uri));
    sql(&uri, "INSERT INTO t VALUES (2, 'writable again')").unwrap();
}

#[cfg(feature = "failpoints")]
#[test]
fn checksum_catches_a_changed_row_that_counts_miss_and_the_fence_is_cleaned_up() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t VALUES (1, 'x')").unwrap();
    // The operator claims writes are stopped, but a row is updated between the fork and the
    // check: the same row count, other contents.
    let child = rename_paused_before_verify(&l, &["--yes", "--writes-stopped", "--verify", "checksum"]);
    sql(&uri, "UPDATE t SET batch = 'changed'").unwrap();
    let out = child.wait_with_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("defaultdb.public.t: contents differ between 'old' and 'new'"), "{stderr}");
    assert!(stderr.contains("undone: deleted 'new'"), "{stderr}");
    // Without a late change, a checksum rename goes through; the fence is gone from both sides.
    let r = l.avn(&["service", "rename", "old", "new", "--yes", "--keep-source", "--verify", "checksum"]);
    r.code(0);
    assert!(
        r.stderr.contains("it holds the marker row, so it has every write 'old' accepted")
            && r.stderr.contains("contents equal in"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("Every write on 'old' up to the marker row is in its backups now"),
        "waited for the fence's segment: {}",
        r.stderr
    );
    assert!(!has_fence_table(&uri) && !has_fence_table(&l.uri("new")));
    assert_eq!(sql(&l.uri("new"), "SELECT batch FROM t").unwrap()[0][0], "changed");
}
