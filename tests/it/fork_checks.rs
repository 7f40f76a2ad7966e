//! Forks that are adopted hold what was asked, and every check runs before anything changes
//! (issue 18, items 3 and 4). Real avn local.

use std::time::Duration;

use crate::local_support::*;

/// Item 3: `--if-not-exists` adopts only a fork with the same source, target and type; a PITR
/// fork is never adopted by a latest command, and `--json` reports the real target.
#[test]
fn if_not_exists_adopts_only_a_fork_that_holds_what_was_asked() {
    let l = Local::start();
    l.avn(&["service", "create", "rw1", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("rw1");
    sql(&uri, "CREATE TABLE t (id int, batch text); INSERT INTO t SELECT g, 'a' FROM generate_series(1, 200) g")
        .unwrap();
    // Not synchronisation: the pauses put time between the commits and the instant t1.
    std::thread::sleep(Duration::from_millis(500));
    let t1 = jiff::Timestamp::now();
    std::thread::sleep(Duration::from_millis(500));
    let t1s = t1.to_string();
    l.avn(&["service", "fork", "rw1", "ifn1", "--pitr", &t1s, "--timeout", "120"]).code(0);
    sql(&uri, "INSERT INTO t SELECT g, 'b' FROM generate_series(1, 100) g").unwrap();

    // A latest command does not adopt the PITR fork: exit 2, naming the difference and --replace.
    let r = l.avn(&["service", "fork", "rw1", "ifn1", "--if-not-exists", "--json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("restored to") && r.stderr.contains("asks for the latest transaction"), "{}", r.stderr);
    assert!(r.stderr.contains("--replace"), "{}", r.stderr);
    assert_eq!(sql(&l.uri("ifn1"), "SELECT count(*) FROM t").unwrap()[0][0], "200", "ifn1 untouched");
    // Another instant is refused too.
    let other = (t1 + jiff::SignedDuration::from_millis(200)).to_string();
    l.avn(&["service", "fork", "rw1", "ifn1", "--if-not-exists", "--pitr", &other]).code(2);
    // The same instant is adopted, and --json says what it holds.
    let v = l.avn(&["service", "fork", "rw1", "ifn1", "--if-not-exists", "--pitr", &t1s, "--json"]).code(0).json();
    assert_eq!(v["fork"]["outcome"], "adopted", "{v}");
    let reported = avn_api::time::parse(v["fork"]["target_time"].as_str().expect("a target, not null")).unwrap();
    assert_eq!(
        reported,
        t1.round(jiff::TimestampRound::new().smallest(jiff::Unit::Microsecond).mode(jiff::RoundMode::Trunc)).unwrap(),
        "{v}"
    );

    // A latest fork is adopted by a later latest command.
    l.avn(&["service", "fork", "rw1", "ifn2", "--timeout", "120"]).code(0);
    let v = l.avn(&["service", "fork", "rw1", "ifn2", "--if-not-exists", "--json"]).code(0).json();
    assert_eq!(v["fork"]["outcome"], "adopted");
    assert!(v["fork"]["target_time"].is_null());
    // ...but not by a PITR command.
    l.avn(&["service", "fork", "rw1", "ifn2", "--if-not-exists", "--pitr", &t1s]).code(2);
    // The hint's --replace does what it says: ifn1 is forked again, to the latest transaction.
    let v = l.avn(&["service", "fork", "rw1", "ifn1", "--replace", "--yes", "--json"]).code(0).json();
    assert_eq!(v["fork"]["outcome"], "replaced", "{v}");
    assert_eq!(sql(&l.uri("ifn1"), "SELECT count(*) FROM t").unwrap()[0][0], "300");
    // A fork of an earlier service of the same name is never adopted.
    l.avn(&["service", "terminate", "rw1", "--force"]).code(0);
    l.avn(&["service", "create", "rw1", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let r = l.avn(&["service", "fork", "rw1", "ifn2", "--if-not-exists"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("earlier service of that name"), "{}", r.stderr);
}

/// Item 4: a value outside the schema's limits is exit 2 before any request, in create, fork,
/// update, rename and their dry runs; avn local refuses it too. Empty names are exit 2.
#[test]
fn out_of_range_options_and_empty_names_are_refused_before_anything_changes() {
    let l = Local::start();
    l.avn(&["service", "create", "db", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    l.wait_first_backup("db");
    for args in [
        vec!["service", "fork", "db", "x", "-c", "pg.max_connections=-5", "--dry-run"],
        vec!["service", "fork", "db", "x", "-c", "pg.max_connections=-5"],
        vec!["service", "create", "x", "-t", "pg", "-p", "startup-4", "-c", "pg.max_connections=-5"],
        vec!["service", "create", "x", "-t", "pg", "-p", "startup-4", "-c", "pg.max_connections=20000"],
        vec!["service", "update", "db", "-c", "pg.max_connections=-5"],
        vec!["service", "rename", "db", "x", "--yes", "-c", "pg.max_connections=-5"],
        vec!["service", "rename", "db", "x", "--yes", "-c", "pg.max_connections=-5", "--dry-run"],
    ] {
        let r = l.avn(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("pg.max_connections") && r.stderr.contains("must be"), "{args:?}: {}", r.stderr);
    }
    l.avn(&["service", "get", "x"]).code(1);
    assert!(sql(&l.uri("db"), "CREATE TABLE w (x int)").is_ok(), "db is still writable: no rename began");
    // The control plane enforces the same limits.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let c = l.client();
    let mut body: avn_api::ServiceUpdate = serde_json::from_value(
        serde_json::json!({"plan": "startup-4", "user_config": {"pg": {"max_connections": -5}}}),
    )
    .unwrap();
    body.plan = "startup-4".into();
    assert_eq!(rt.block_on(c.service_update("local", "db", &body)).unwrap_err().status(), Some(400));
    for args in [
        vec!["service", "get", ""],
        vec!["service", "get", "Bad_Name"],
        vec!["service", "terminate", "", "--force"],
        vec!["service", "update", "", "--power-off"],
        vec!["service", "fork", "", "x"],
        vec!["service", "rename", "", "x"],
        vec!["service", "wait", ""],
        vec!["service", "backup-list", ""],
    ] {
        let r = l.avn(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("invalid service name"), "{args:?}: {}", r.stderr);
    }
}
