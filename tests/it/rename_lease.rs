//! A rename owns OLD and NEW until it ends (issue 18, items 1 and 2): a second rename,
//! terminate, prune, the expiry reaper and `fork --replace` respect its lease, NEW gets OLD's
//! expiry only at the end, and `--abort` without the journal releases the lease. What a failed or
//! aborted rename undoes is `rename_rollback.rs`. Real avn local, real PostgreSQL, writers that
//! record every id they commit.
#![cfg(feature = "failpoints")]

use std::time::Duration;

use crate::local_support::*;
use crate::rename_local::ids;
use crate::rename_local::make_source;
use crate::rename_local::Writer;
use crate::support::Run;
use crate::support::Watched;

/// A rename's steps, in order, as the failpoints name them.
const STEPS: [&str; 7] = ["preflight", "stop_writes", "fork", "open_writes", "verify", "repoint", "delete"];

/// Start `rename OLD NEW ARGS` held before `step`, and return once it has printed the line of the
/// step before (`[4/7] open writes: done ...` before verify): it is held there until the test
/// lets it go on (`finish`, or `Watched::release`).
pub(crate) fn paused_rename(l: &Local, old: &str, new: &str, step: &str, args: &[&str]) -> Watched {
    let mut all = vec!["service", "rename", old, new];
    all.extend(args);
    let mut cmd = l.cmd(&all);
    let (hold, release) = Watched::hold_action();
    cmd.env("FAILPOINTS", format!("rename-before-{step}={hold}"));
    let child = Watched::spawn_held(cmd, release);
    let i = STEPS.iter().position(|s| *s == step).filter(|i| *i > 0).expect("a step after preflight");
    child.wait_for_stderr(&format!("[{i}/7] {}: ", STEPS[i - 1].replace('_', " ")), Duration::from_secs(120));
    child
}

/// A startup-4 service that expires in two hours.
fn create_expiring(l: &Local, name: &str) {
    l.avn(&[
        "service",
        "create",
        name,
        "-t",
        "pg",
        "-p",
        "startup-4",
        "--expires-in",
        "2h",
        "--wait",
        "--timeout",
        "120",
    ])
    .code(0);
}

pub(crate) fn finish(child: Watched) -> Run {
    child.wait_with_output().into()
}

pub(crate) fn tags(l: &Local, name: &str) -> serde_json::Map<String, serde_json::Value> {
    let v = l.avn(&["service", "get", name, "--json"]);
    if v.code != 0 {
        return Default::default();
    }
    v.json()["tags"].as_object().cloned().unwrap_or_default()
}

fn client(l: &Local) -> (tokio::runtime::Runtime, avn_client::Client) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    (rt, l.client())
}

pub(crate) fn writable(uri: &str) -> bool {
    match sql(uri, "INSERT INTO t VALUES (-1, 'probe')") {
        Ok(_) => {
            sql(uri, "DELETE FROM t WHERE id = -1").unwrap();
            true
        }
        Err(e) if e.contains("read-only") => false,
        Err(e) => panic!("{e}"),
    }
}

/// Item 1: while rename A runs, a second rename of the same OLD (to any name, with a bad or a
/// good -c) is refused before any change, and A loses no committed row.
#[test]
fn a_second_rename_of_a_leased_service_is_refused_and_no_committed_row_is_lost() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    let writer = Writer::start(uri.clone());
    writer.wait_for_commits(1);
    let a = paused_rename(&l, "old", "new", "verify", &["--yes"]);
    // B: a bad -c is refused by the schema check; a good one by the lease. Neither opens writes.
    let b = l.avn(&["service", "rename", "old", "other", "--yes", "-c", "pg.max_connections=-5"]);
    assert_eq!(b.code, 2, "{}", b.stderr);
    assert!(b.stderr.contains("must be at least 25") || b.stderr.contains("under a rename"), "{}", b.stderr);
    let b = l.avn(&["service", "rename", "old", "other", "--yes"]);
    assert_eq!(b.code, 2, "{}", b.stderr);
    assert!(b.stderr.contains("under a rename to 'new'"), "{}", b.stderr);
    assert!(b.stderr.contains("avn service rename old new --resume"), "{}", b.stderr);
    assert!(b.stderr.contains("avn service rename old new --abort"), "{}", b.stderr);
    assert!(!writable(&uri), "OLD stays read-only while A runs");
    l.avn(&["service", "get", "other"]).code(1);
    // The same pair from another machine (no journal here) is refused too.
    let other_home = tempfile::tempdir().unwrap();
    let r: Run =
        l.cmd(&["service", "rename", "old", "new", "--yes"]).env("HOME", other_home.path()).output().unwrap().into();
    assert_eq!(r.code, 2, "{}", r.stderr);
    let a = finish(a);
    assert_eq!(a.code, 0, "{}", a.stderr);
    writer.wait_for_more_tries();
    let (committed, _) = writer.finish();
    assert!(!committed.is_empty());
    assert_eq!(ids(&l.uri("new")), committed, "NEW holds every committed row");
    // The lease is gone from NEW once the rename has finished.
    assert!(!tags(&l, "new").contains_key("avn_rename"), "{:?}", tags(&l, "new"));
}

/// Item 1: after --keep-source OLD stays read-only; a later rename of it that fails never opens
/// it again, and a fork of the kept OLD is opened for writes (item 2, "also").
#[test]
fn a_kept_source_stays_read_only_through_a_later_failed_rename() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t VALUES (1, 'x')").unwrap();
    l.avn(&["service", "rename", "old", "new", "--keep-source"]).code(0);
    assert!(!writable(&uri));
    assert_eq!(tags(&l, "old")["avn_renamed_to"], "new");
    assert!(!tags(&l, "old").contains_key("avn_rename"));
    let r: Run = l
        .cmd(&["service", "rename", "old", "again", "--yes"])
        .env("FAILPOINTS", "rename-before-verify=return")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("undone: deleted 'again'"), "{}", r.stderr);
    assert!(!r.stderr.contains("writes re-enabled"), "{}", r.stderr);
    assert!(!writable(&uri), "the kept OLD is still read-only");
    // A fork of the kept source is writable, and says why.
    let f = l.avn(&["service", "fork", "old", "copy", "--timeout", "120"]);
    assert_eq!(f.code, 0, "{}", f.stderr);
    assert!(f.stderr.contains("read-only defaults cleared on defaultdb"), "{}", f.stderr);
    assert!(writable(&l.uri("copy")));
}

/// Item 2: terminate and prune refuse a leased OLD or NEW; with -ff OLD goes, and the rollback
/// then keeps NEW (the only copy), saying so.
#[test]
fn terminate_refuses_a_leased_service_and_the_rollback_never_deletes_the_only_copy() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t SELECT g, 'row' FROM generate_series(1, 50) g").unwrap();
    let child = paused_rename(&l, "old", "new", "verify", &["--yes"]);
    for name in ["old", "new"] {
        let r = l.avn(&["service", "terminate", name, "--force"]);
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert!(r.stderr.contains("under a rename") && r.stderr.contains("-ff"), "{}", r.stderr);
    }
    // The control plane refuses too: the official client's DELETE gets a 409.
    let (rt, c) = client(&l);
    let e = rt.block_on(c.service_delete("local", "old")).unwrap_err();
    assert_eq!(e.status(), Some(409), "{e}");
    // ...and a lease never changes hands.
    let steal = std::collections::BTreeMap::from([("avn_rename".to_string(), Some("someone-else".to_string()))]);
    assert_eq!(rt.block_on(c.service_tags_update("local", "old", &steal)).unwrap_err().status(), Some(409));
    let r = l.avn(&["service", "terminate", "old", "-ff"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = finish(child);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("kept: 'new', because 'old' is gone"), "{}", r.stderr);
    assert!(!r.stderr.contains("deleted 'new'"), "{}", r.stderr);
    assert_eq!(sql(&l.uri("new"), "SELECT count(*) FROM t").unwrap()[0][0], "50", "NEW keeps the data");
    // ...and is a service like any other: released, and taking writes.
    assert!(!tags(&l, "new").contains_key("avn_rename"), "{:?}", tags(&l, "new"));
    assert!(writable(&l.uri("new")));
}

/// Item 2: an expiry that falls due during a rename waits for it; NEW gets OLD's expiry only
/// when the rename has finished.
#[test]
fn an_expiry_waits_for_the_rename_and_new_gets_it_only_at_the_end() {
    let l = Local::start();
    create_expiring(&l, "old");
    sql(&l.uri("old"), "CREATE TABLE t (id int, batch text); INSERT INTO t VALUES (1, 'x')").unwrap();
    let expiry = tags(&l, "old")["avn_expires_at"].clone();
    let child = paused_rename(&l, "old", "new", "verify", &["--yes"]);
    assert!(!tags(&l, "new").contains_key("avn_expires_at"), "NEW has no expiry during the rename");
    // OLD's expiry falls due meanwhile: the reaper (every 15 s) waits.
    let (rt, c) = client(&l);
    let past =
        std::collections::BTreeMap::from([("avn_expires_at".to_string(), Some("2020-01-01T00:00:00Z".to_string()))]);
    rt.block_on(c.service_tags_update("local", "old", &past)).unwrap();
    // prune waits too
    let p = l.avn(&["service", "prune", "--yes", "--json"]).code(0).json();
    assert_eq!(p["skipped"][0]["service_name"], "old", "{p}");
    assert!(p["skipped"][0]["reason"].as_str().unwrap().contains("under a rename"), "{p}");
    wait_until(l.with_log("the reaper to keep OLD"), Duration::from_secs(40), || {
        l.log().contains("kept until the rename ends").then_some(())
    });
    l.avn(&["service", "get", "old"]).code(0);
    // Put back as it was: NEW gets OLD's expiry as it is when the rename ends.
    let back =
        std::collections::BTreeMap::from([("avn_expires_at".to_string(), Some(expiry.as_str().unwrap().to_string()))]);
    rt.block_on(c.service_tags_update("local", "old", &back)).unwrap();
    let r = finish(child);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(tags(&l, "new")["avn_expires_at"], expiry);
    assert_eq!(sql(&l.uri("new"), "SELECT count(*) FROM t").unwrap()[0][0], "1");
}

/// Item 2, "also": a fork taken from OLD while a rename has stopped its writes is opened for
/// writes, and says so.
#[test]
fn a_fork_of_a_source_stopped_for_a_rename_is_writable() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t VALUES (1, 'x')").unwrap();
    let child = paused_rename(&l, "old", "new", "verify", &["--yes"]);
    // The journal is this process's while it runs: a concurrent --abort or --resume waits its turn.
    let a = l.avn(&["service", "rename", "old", "new", "--abort"]);
    assert_eq!(a.code, 2, "{}", a.stderr);
    assert!(a.stderr.contains("another avn is working on the rename"), "{}", a.stderr);
    let f = l.avn(&["service", "fork", "old", "side", "--timeout", "120"]);
    assert_eq!(f.code, 0, "{}", f.stderr);
    assert!(f.stderr.contains("read-only defaults cleared on defaultdb"), "{}", f.stderr);
    assert!(writable(&l.uri("side")));
    // The fork is no part of the rename: no lease was copied to it.
    assert!(!tags(&l, "side").keys().any(|k| k.starts_with("avn_rename")), "{:?}", tags(&l, "side"));
    // --replace of the rename's NEW is refused.
    let r = l.avn(&["service", "fork", "old", "new", "--replace", "--yes"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("under a rename from 'old'"), "{}", r.stderr);
    assert_eq!(finish(child).code, 0);
}

/// Item 1: two renames of one service started at the same moment: exactly one goes on.
#[test]
fn two_renames_racing_for_one_service_one_wins_and_nothing_is_lost() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    let writer = Writer::start(uri.clone());
    writer.wait_for_commits(1);
    let spawn = |new: &str| Watched::spawn(l.cmd(&["service", "rename", "old", new, "--yes"]));
    let (a, b) = (spawn("left"), spawn("right"));
    let (a, b) = (finish(a), finish(b));
    writer.wait_for_more_tries();
    let (committed, _) = writer.finish();
    let mut codes = [a.code, b.code];
    codes.sort();
    assert_eq!(codes, [0, 2], "one wins, one is refused:\n{}\n{}", a.stderr, b.stderr);
    let winner = if a.code == 0 { "left" } else { "right" };
    let loser = if a.code == 0 { "right" } else { "left" };
    l.avn(&["service", "get", loser]).code(1);
    l.avn(&["service", "get", "old"]).code(1);
    assert_eq!(ids(&l.uri(winner)), committed);
}

/// Wait until the journal of `rename OLD NEW` says `step` is done.
pub(crate) fn wait_done(l: &Local, old: &str, new: &str, step: &str) {
    let path = l.dir.path().join(format!(".local/share/avn/renames/local--{old}--{new}.json"));
    wait_until(format!("step {step} to finish"), Duration::from_secs(120), || {
        std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|j| j["steps"].as_array().unwrap().iter().any(|s| s["name"] == step && s["status"] == "done"))
            .then_some(())
    });
}

/// From a hostile review: NEW gets OLD's expiry as it is when the rename ends (removed meanwhile:
/// none), never a stale one the reaper would act on.
#[test]
fn new_gets_the_expiry_old_has_at_the_end() {
    let l = Local::start();
    create_expiring(&l, "old");
    sql(&l.uri("old"), "CREATE TABLE t (id int, batch text)").unwrap();
    let child = paused_rename(&l, "old", "new", "delete", &["--yes"]);
    wait_done(&l, "old", "new", "repoint");
    // OLD's expiry is moved into the past meanwhile (the reaper waits for the lease).
    let (rt, c) = client(&l);
    let past =
        std::collections::BTreeMap::from([("avn_expires_at".to_string(), Some("2020-01-01T00:00:00Z".to_string()))]);
    rt.block_on(c.service_tags_update("local", "old", &past)).unwrap();
    let r = finish(child);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("expired during the rename"), "{}", r.stderr);
    assert!(!tags(&l, "new").contains_key("avn_expires_at"), "{:?}", tags(&l, "new"));
    sql(&l.uri("new"), "SELECT 1").unwrap();
}

/// From a hostile review: the machine that started a rename is gone with its journal; --abort
/// elsewhere releases the lease (and changes nothing else), so the services are not stuck.
#[test]
fn abort_without_the_journal_releases_the_lease() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    let r: Run = l
        .cmd(&["service", "rename", "old", "new", "--yes"])
        .env("FAILPOINTS", "rename-before-open_writes=return(crash)")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, -1, "{}", r.stderr);
    let elsewhere = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| -> Run { l.cmd(args).env("HOME", elsewhere.path()).output().unwrap().into() };
    assert_eq!(run(&["service", "terminate", "new", "--force"]).code, 2, "leased");
    let a = run(&["service", "rename", "old", "new", "--abort"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert!(a.stderr.contains("released") && a.stderr.contains("nothing else was changed"), "{}", a.stderr);
    assert!(!tags(&l, "old").contains_key("avn_rename") && !tags(&l, "new").contains_key("avn_rename"));
    assert!(!writable(&uri), "nothing else was changed: OLD is still read-only");
    run(&["service", "terminate", "new", "--force"]).code(0);
}
