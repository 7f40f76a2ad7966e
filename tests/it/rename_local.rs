//! `avn service rename` end to end on the local control plane, with a real client writing.
//! The rename itself under live writes, and what it refuses up front; when something goes wrong
//! part-way, see `rename_failures.rs`.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use crate::local_support::*;

/// A client that inserts rows continuously, reconnecting when its session is ended, and records
/// every id whose commit was acknowledged, every read-only refusal, and how many times it tried.
pub(crate) struct Writer {
    stop: Arc<AtomicBool>,
    committed: Arc<Mutex<Vec<i64>>>,
    read_only_errors: Arc<Mutex<usize>>,
    tries: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    pub(crate) fn start(uri: String) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let committed = Arc::new(Mutex::new(vec![]));
        let read_only_errors = Arc::new(Mutex::new(0));
        let tries = Arc::new(AtomicUsize::new(0));
        let (s, c, r, t) = (stop.clone(), committed.clone(), read_only_errors.clone(), tries.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let mut next = 1i64;
                let mut client = None;
                while !s.load(Ordering::SeqCst) {
                    t.fetch_add(1, Ordering::SeqCst);
                    if client.is_none() {
                        match tokio_postgres::connect(
                            &uri.replace("sslmode=require", "sslmode=disable"),
                            tokio_postgres::NoTls,
                        )
                        .await
                        {
                            Ok((cl, conn)) => {
                                tokio::spawn(conn);
                                client = Some(cl);
                            }
                            Err(_) => {
                                tokio::time::sleep(Duration::from_millis(20)).await;
                                continue;
                            }
                        }
                    }
                    let cl = client.as_ref().unwrap();
                    match cl.execute("INSERT INTO t (id, batch) VALUES ($1, 'live')", &[&(next as i32)]).await {
                        Ok(_) => {
                            c.lock().unwrap().push(next);
                            next += 1;
                        }
                        Err(e) if e.code().map(|c| c.code()) == Some("25006") => {
                            *r.lock().unwrap() += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Err(_) => client = None,
                    }
                    // The writer's pace (as its pauses after a failure above), not synchronisation.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            });
        });
        Writer { stop, committed, read_only_errors, tries, thread: Some(thread) }
    }

    /// Wait until the client has had `n` commits acknowledged: it is writing.
    pub(crate) fn wait_for_commits(&self, n: usize) {
        wait_until(format!("{n} commits of the writer"), Duration::from_secs(60), || {
            (self.committed.lock().unwrap().len() >= n).then_some(())
        });
    }

    /// Wait until the client has tried to write (or to connect) a few more times from now: what
    /// it does after an event (a rename that ended, say) is in what it recorded.
    pub(crate) fn wait_for_more_tries(&self) {
        let from = self.tries.load(Ordering::SeqCst);
        wait_until("the writer to try again", Duration::from_secs(60), || {
            (self.tries.load(Ordering::SeqCst) >= from + 3).then_some(())
        });
    }

    pub(crate) fn finish(mut self) -> (Vec<i64>, usize) {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        let c = self.committed.lock().unwrap().clone();
        let r = *self.read_only_errors.lock().unwrap();
        (c, r)
    }
}

pub(crate) fn ids(uri: &str) -> Vec<i64> {
    sql(uri, "SELECT id FROM t WHERE batch = 'live' ORDER BY id")
        .unwrap()
        .iter()
        .map(|r| r[0].parse().unwrap())
        .collect()
}

pub(crate) fn make_source(l: &Local, name: &str) -> String {
    l.avn(&["service", "create", name, "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri(name);
    sql(&uri, "CREATE TABLE t (id int, batch text)").unwrap();
    uri
}

#[test]
fn rename_under_live_writes_loses_no_committed_row() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    l.avn(&["service", "create", "sink", "-t", "pg", "-p", "hobbyist", "--wait", "--timeout", "120"]).code(0);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = l.client();
    let body = avn_api::IntegrationCreate {
        integration_type: "metrics".into(),
        source_service: Some("old".into()),
        dest_service: Some("sink".into()),
        ..Default::default()
    };
    rt.block_on(client.integration_create("local", &body)).unwrap();
    // A connection pool, whose clients reach NEW afterwards by host and port alone.
    l.avn(&["service", "user-create", "old", "--username", "app"]).code(0);
    l.avn(&[
        "service",
        "connection-pool-create",
        "old",
        "--pool-name",
        "p1",
        "--dbname",
        "defaultdb",
        "--username",
        "app",
    ])
    .code(0);
    let old_pool =
        l.avn(&["service", "connection-pool-list", "old", "--format", "{connection_uri}"]).code(0).stdout.clone();
    let env_file = l.dir.path().join("app.env");
    std::fs::write(&env_file, format!("DATABASE_URL={uri}\nOTHER=1\n")).unwrap();
    let var_file = l.dir.path().join("svc.env");
    std::fs::write(&var_file, "export PG_URL='nothing yet'\n").unwrap();

    // A superuser session (the platform's own, as the control plane's are) is open all along: the
    // rename cannot end it and must not fail on it.
    let (inst, port, _) = l.instance("old");
    let run = inst.join("run");
    let mut superuser = std::process::Command::new("psql")
        .arg(format!("host={} port={port} user=postgres dbname=defaultdb", run.display()))
        .args(["-c", "SELECT pg_sleep(120)"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let writer = Writer::start(uri.clone());
    // The client is writing before the rename starts.
    writer.wait_for_commits(11);
    let env_arg = env_file.display().to_string();
    let var_arg = format!("{}:PG_URL", var_file.display());
    let r = l.avn(&[
        "service",
        "rename",
        "old",
        "new",
        "--repoint-env",
        &env_arg,
        "--repoint-env",
        &var_arg,
        "--yes",
        "--json",
    ]);
    // What the client does after the rename ended is in what it recorded too.
    writer.wait_for_more_tries();
    let (committed, read_only) = writer.finish();
    let _ = superuser.kill();
    let _ = superuser.wait();
    let v = r.code(0).json();
    assert_eq!(v["rename"]["state"], "done");
    assert_eq!(v["service"]["service_name"], "new");
    let outcomes: Vec<&str> =
        v["rename"]["steps"].as_array().unwrap().iter().map(|s| s["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["done"; 7], "{v}");

    assert!(committed.len() > 10, "the client wrote before the rename: {}", committed.len());
    assert!(read_only > 0, "writes after stop-writes failed with a read-only error");
    let new_uri = l.uri("new");
    assert_eq!(ids(&new_uri), committed, "NEW holds exactly every row the client saw committed");
    l.avn(&["service", "get", "old"]).code(1);
    let env = std::fs::read_to_string(&env_file).unwrap();
    assert_eq!(env, format!("DATABASE_URL={new_uri}\nOTHER=1\n"));
    assert!(std::fs::read_to_string(l.dir.path().join("app.env.bak")).unwrap().contains(&uri));
    assert_eq!(std::fs::read_to_string(&var_file).unwrap(), format!("export PG_URL='{new_uri}'\n"));
    let i = l.avn(&["service", "integration-list", "new", "--json"]).code(0).json();
    assert_eq!(i[0]["source_service"], "new");
    assert_eq!(i[0]["dest_service"], "sink");
    // NEW takes writes
    sql(&new_uri, "INSERT INTO t VALUES (0, 'after')").unwrap();
    // NEW serves the same pool, same user and password: only host and port differ.
    let new_pool =
        l.avn(&["service", "connection-pool-list", "new", "--format", "{connection_uri}"]).code(0).stdout.clone();
    let path_of = |u: &str| {
        u.trim().split_once('@').map(|(creds, rest)| (creds.to_string(), rest.split_once('/').unwrap().1.to_string()))
    };
    assert_eq!(path_of(&new_pool), path_of(&old_pool), "{old_pool} / {new_pool}");
    let out = std::process::Command::new("psql")
        .args([new_pool.trim(), "-XAtc", "SELECT current_user, current_database()"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "app|defaultdb\n", "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn keep_source_leaves_it_read_only_and_refusals_change_nothing() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t VALUES (1, 'x')").unwrap();
    // no terminal and neither --yes nor --keep-source: refused up front
    let r = l.avn(&["service", "rename", "old", "new"]);
    r.code(2);
    assert!(r.stderr.contains("--yes") && r.stderr.contains("--keep-source"), "{}", r.stderr);
    // termination protection
    l.avn(&["service", "update", "old", "--enable-termination-protection"]).code(0);
    let r = l.avn(&["service", "rename", "old", "new", "--yes"]);
    r.code(2);
    assert!(r.stderr.contains("--remove-termination-protection"), "{}", r.stderr);
    // dry run: the plan, concretely
    let r = l.avn(&["service", "rename", "old", "new", "--yes", "--remove-termination-protection", "--dry-run"]);
    r.code(0);
    assert!(r.stdout.contains("2. stop writes: make databases [defaultdb] default to read-only"), "{}", r.stdout);
    assert!(r.stdout.contains("7. delete: delete 'old' after removing its termination protection"), "{}", r.stdout);
    // A dry run changes nothing, so without a terminal it needs no --yes.
    let r = l.avn(&["service", "rename", "old", "new", "--remove-termination-protection", "--dry-run"]);
    r.code(0);
    assert!(r.stdout.contains("7. delete:"), "{}", r.stdout);
    sql(&uri, "INSERT INTO t VALUES (2, 'still writable')").unwrap();
    assert_eq!(l.avn(&["service", "list", "--format", "{service_name}"]).stdout, "old\n");
    l.avn(&["service", "update", "old", "--disable-termination-protection"]).code(0);

    // --keep-source
    let r = l.avn(&["service", "rename", "old", "new", "--keep-source"]);
    r.code(0);
    assert!(r.stderr.contains("[7/7] delete: skipped"), "{}", r.stderr);
    let e = sql(&uri, "INSERT INTO t VALUES (3, 'x')").unwrap_err();
    assert!(e.contains("read-only"), "{e}");
    assert_eq!(sql(&l.uri("new"), "SELECT count(*) FROM t").unwrap()[0][0], "2");
    sql(&l.uri("new"), "INSERT INTO t VALUES (3, 'x')").unwrap();
    // a second run of the same rename is not in progress any more; resume says so
    let r = l.avn(&["service", "rename", "old", "new", "--resume"]);
    r.code(2);
}

#[test]
fn role_settings_that_reenable_writes_are_refused_unless_forced() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "CREATE ROLE app LOGIN").unwrap();
    sql(&uri, "ALTER ROLE app SET default_transaction_read_only = off").unwrap();
    let r = l.avn(&["service", "rename", "old", "new", "--yes"]);
    r.code(2);
    assert!(r.stderr.contains("app in every database: default_transaction_read_only=off"), "{}", r.stderr);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    l.avn(&["service", "get", "new"]).code(1);
    sql(&uri, "INSERT INTO t VALUES (1, 'still writable')").unwrap();
    // --force goes on, and the rename completes.
    l.avn(&["service", "rename", "old", "new", "--yes", "--force"]).code(0);
    assert_eq!(sql(&l.uri("new"), "SELECT count(*) FROM t").unwrap()[0][0], "1");
}

/// Issue 18, item 8: an unlogged table with rows is named and refused before anything changes;
/// with --force the rename goes through, NEW has it empty, and verify says it left it out.
#[test]
fn unlogged_tables_with_rows_are_refused_unless_forced_and_then_left_out_of_verify() {
    let l = Local::start();
    let uri = make_source(&l, "old");
    sql(&uri, "INSERT INTO t VALUES (1, 'x'); CREATE UNLOGGED TABLE cache (k int); INSERT INTO cache VALUES (1), (2)")
        .unwrap();
    let r = l.avn(&["service", "rename", "old", "new", "--yes"]);
    r.code(2);
    assert!(r.stderr.contains("defaultdb.public.cache") && r.stderr.contains("--force"), "{}", r.stderr);
    l.avn(&["service", "get", "new"]).code(1);
    sql(&uri, "INSERT INTO t VALUES (2, 'still writable')").unwrap();
    let r = l.avn(&["service", "rename", "old", "new", "--yes", "--force"]);
    r.code(0);
    assert!(r.stderr.contains("unlogged, left out (--force): defaultdb.public.cache"), "{}", r.stderr);
    let new = l.uri("new");
    assert_eq!(sql(&new, "SELECT count(*) FROM t").unwrap()[0][0], "2");
    assert_eq!(sql(&new, "SELECT count(*) FROM cache").unwrap()[0][0], "0");
    // A table the admin cannot read is named before anything changes (verify could not count it).
    let (_, _, admin) = l.instance("new");
    let admin_db = admin.replace("dbname=postgres", "dbname=defaultdb");
    let out = std::process::Command::new("psql")
        .args([&admin_db, "-c", "CREATE TABLE secret (x int); INSERT INTO secret VALUES (1)"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = l.avn(&["service", "rename", "new", "newer", "--yes"]);
    r.code(2);
    assert!(r.stderr.contains("defaultdb.public.secret") && r.stderr.contains("GRANT SELECT"), "{}", r.stderr);
    sql(&new, "INSERT INTO t VALUES (3, 'still writable')").unwrap();
}
