//! What a failed or aborted rename undoes (issue 18, item 5, and hostile reviews): `--abort`
//! after a crash at any step before repoint, a rollback left unfinished, an OLD left as it was
//! found, and a delete step that keeps OLD when NEW is gone or OLD changed after verify. Real avn
//! local, real PostgreSQL.
#![cfg(feature = "failpoints")]

use crate::local_support::*;
use crate::rename_lease::finish;
use crate::rename_lease::paused_rename;
use crate::rename_lease::tags;
use crate::rename_lease::wait_done;
use crate::rename_lease::writable;
use crate::rename_local::make_source;
use crate::support::Run;

/// Item 5: after kill -9 at any step before repoint, --abort rolls back what the journal says;
/// after repoint it refuses and says what to do.
#[test]
fn abort_after_a_crash_at_each_step_before_repoint_restores_old() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t VALUES (1, 'x')").unwrap();
    for step in ["stop_writes", "fork", "open_writes", "verify", "repoint"] {
        let r: Run = l
            .cmd(&["service", "rename", "old", "new", "--yes"])
            .env("FAILPOINTS", format!("rename-before-{step}=return(crash)"))
            .output()
            .unwrap()
            .into();
        assert_eq!(r.code, -1, "{step}: {}", r.stderr);
        // The refusal to start again names both ways out.
        let again = l.avn(&["service", "rename", "old", "new", "--yes"]);
        assert_eq!(again.code, 2);
        assert!(again.stderr.contains("--resume") && again.stderr.contains("--abort"), "{}", again.stderr);
        let a = l.avn(&["service", "rename", "old", "new", "--abort"]);
        let journal = std::fs::read_to_string(l.dir.path().join(".local/share/avn/renames/local--old--new.json"));
        assert_eq!(a.code, 0, "abort after a crash before {step}: {}\n{journal:?}", a.stderr);
        assert!(a.stderr.contains("rolled back"), "{}", a.stderr);
        l.avn(&["service", "get", "new"]).code(1);
        assert!(writable(&uri), "OLD takes writes after aborting before {step}");
        assert!(!tags(&l, "old").contains_key("avn_rename"), "lease released after {step}");
        assert_eq!(sql(&uri, "SELECT count(*) FROM t").unwrap()[0][0], "1");
        // Nothing left to abort.
        l.avn(&["service", "rename", "old", "new", "--abort"]).code(2);
    }
    // Past repoint, --abort refuses and points at --resume.
    let r: Run = l
        .cmd(&["service", "rename", "old", "new", "--yes"])
        .env("FAILPOINTS", "rename-before-delete=return")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--resume") && r.stderr.contains("--abort"), "{}", r.stderr);
    let a = l.avn(&["service", "rename", "old", "new", "--abort"]);
    assert_eq!(a.code, 2, "{}", a.stderr);
    assert!(a.stderr.contains("reached step repoint") && a.stderr.contains("--resume"), "{}", a.stderr);
    l.avn(&["service", "rename", "old", "new", "--resume"]).code(0);
    assert_eq!(sql(&l.uri("new"), "SELECT count(*) FROM t").unwrap()[0][0], "1");
}

/// From a hostile review: NEW terminated (-ff) after verify; the delete step must keep OLD (the
/// only copy), and --abort (allowed now that NEW is gone) opens it again.
#[test]
fn the_delete_step_keeps_old_when_new_is_gone() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t SELECT g, 'row' FROM generate_series(1, 40) g").unwrap();
    let child = paused_rename(&l, "old", "new", "delete", &["--yes"]);
    wait_done(&l, "old", "new", "repoint");
    l.avn(&["service", "terminate", "new", "-ff"]).code(0);
    let r = finish(child);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("'old' was kept: 'new' is gone"), "{}", r.stderr);
    assert!(r.stderr.contains("avn service rename old new --abort"), "the hint names what works: {}", r.stderr);
    assert_eq!(sql(&uri, "SELECT count(*) FROM t").unwrap()[0][0], "40");
    let a = l.avn(&["service", "rename", "old", "new", "--abort"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert!(writable(&uri));
    assert!(!tags(&l, "old").contains_key("avn_rename"));
}

/// From a hostile review: writes that reach OLD after verify (a role setting that beats the
/// read-only default, or the default reset and set again) keep OLD at the delete step, on a
/// resume too; `--resume --keep-source` finishes and keeps OLD with every row.
#[test]
fn writes_after_verify_keep_old_even_when_its_read_only_default_is_back() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t VALUES (1, 'before')").unwrap();
    let child = paused_rename(&l, "old", "new", "delete", &["--yes"]);
    wait_done(&l, "old", "new", "repoint");
    // A role setting beats the database default: this session writes.
    sql(&uri, "BEGIN READ WRITE; ALTER ROLE avnadmin SET default_transaction_read_only = off; COMMIT").unwrap();
    sql(&uri, "INSERT INTO t VALUES (2, 'after verify')").unwrap();
    sql(&uri, "ALTER ROLE avnadmin RESET default_transaction_read_only").unwrap();
    let r = finish(child);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("'old' was kept: it changed after it was verified"), "{}", r.stderr);
    assert!(r.stderr.contains("--resume --keep-source"), "{}", r.stderr);
    assert!(!r.stderr.contains("stay stopped"), "{}", r.stderr);
    // Resuming does not delete it either.
    let r = l.avn(&["service", "rename", "old", "new", "--resume", "--yes"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(sql(&uri, "SELECT count(*) FROM t").unwrap()[0][0], "2");
    // Kept on purpose: the rename finishes, and OLD keeps the row NEW lacks.
    let r = l.avn(&["service", "rename", "old", "new", "--resume", "--keep-source"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(sql(&uri, "SELECT count(*) FROM t").unwrap()[0][0], "2");
    assert_eq!(sql(&l.uri("new"), "SELECT count(*) FROM t").unwrap()[0][0], "1");
}

/// From a hostile review: an OLD already read-only when the rename starts gives a writable NEW,
/// and a failed rename of it leaves it read-only as it found it.
#[test]
fn an_old_already_read_only_gives_a_writable_new_and_stays_as_it_was() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t VALUES (1, 'x'); ALTER DATABASE defaultdb SET default_transaction_read_only = on")
        .unwrap();
    let r: Run = l
        .cmd(&["service", "rename", "old", "new", "--yes"])
        .env("FAILPOINTS", "rename-before-verify=return")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!writable(&uri), "OLD is left as it was found: read-only");
    l.avn(&["service", "rename", "old", "new", "--yes", "--keep-source"]).code(0);
    assert!(writable(&l.uri("new")), "NEW takes writes");
}

/// From a hostile review: a rollback that cannot finish (OLD powered off meanwhile) keeps the
/// lease and says to run --abort again; once OLD is back, that --abort opens its writes.
#[test]
fn a_rollback_left_unfinished_keeps_the_lease_and_abort_finishes_it() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t VALUES (1, 'x')").unwrap();
    let child = paused_rename(&l, "old", "new", "fork", &["--yes"]);
    wait_done(&l, "old", "new", "stop_writes");
    l.avn(&["service", "update", "old", "--power-off"]).code(0);
    let r = finish(child);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("left as is:"), "{}", r.stderr);
    assert!(r.stderr.contains("avn service rename old new --abort"), "{}", r.stderr);
    assert_eq!(tags(&l, "old")["avn_rename_to"], "new", "the lease stays while something is left");
    l.avn(&["service", "update", "old", "--power-on"]).code(0);
    l.avn(&["service", "wait", "old", "--timeout", "120"]).code(0);
    let a = l.avn(&["service", "rename", "old", "new", "--abort"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert!(a.stderr.contains("writes re-enabled on 'old'"), "{}", a.stderr);
    assert!(writable(&l.uri("old")));
    assert!(!tags(&l, "old").contains_key("avn_rename"));
}

/// From a second hostile review: writes that slip past stop-writes before verify (an UPDATE
/// that keeps the row count), or after it in what is not table data (a sequence, a large object,
/// a new database through the maintenance database), keep OLD at the delete step.
#[test]
fn writes_that_counts_do_not_see_keep_old() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t SELECT g, 'row' FROM generate_series(1, 20) g; CREATE SEQUENCE s1").unwrap();
    let rw = |q: &str| sql(&uri, &format!("BEGIN READ WRITE; {q}; COMMIT")).unwrap();
    // Before verify: the same number of rows, other contents.
    let child = paused_rename(&l, "old", "new", "verify", &["--yes"]);
    rw("UPDATE t SET batch = 'changed' WHERE id <= 5");
    let r = finish(child);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("'old' was kept: it changed after"), "{}", r.stderr);
    assert_eq!(sql(&uri, "SELECT count(*) FROM t WHERE batch = 'changed'").unwrap()[0][0], "5");
    l.avn(&["service", "rename", "old", "new", "--resume", "--keep-source"]).code(0);
    l.avn(&["service", "terminate", "new", "--force"]).code(0);
    // After verify: a sequence, a large object, a database made through `postgres`.
    for (i, change) in ["SELECT setval('s1', 5000)", "SELECT lo_from_bytea(4242, 'precious')", "CREATE DATABASE latedb"]
        .iter()
        .enumerate()
    {
        let (old, new) = (format!("o{i}"), format!("n{i}"));
        l.avn(&["service", "fork", "old", &old, "--timeout", "120"]).code(0);
        let o_uri = l.uri(&old);
        let child = paused_rename(&l, &old, &new, "delete", &["--yes"]);
        wait_done(&l, &old, &new, "repoint");
        if change.starts_with("CREATE DATABASE") {
            // Not in a transaction block: a session made writable, through `postgres`.
            let target = o_uri.replace("/defaultdb", "/postgres").replace("sslmode=require", "sslmode=disable");
            let out = std::process::Command::new("psql")
                .args([&target, "-c", "SET default_transaction_read_only = off", "-c", change])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        } else {
            sql(&o_uri, &format!("BEGIN READ WRITE; {change}; COMMIT")).unwrap();
        }
        let r = finish(child);
        assert_eq!(r.code, 1, "{change}: {}", r.stderr);
        assert!(r.stderr.contains("was kept: it changed after"), "{change}: {}", r.stderr);
        l.avn(&["service", "get", &old]).code(0);
    }
}
