//! End to end on the local control plane, real PostgreSQL: forks to the latest transaction and to
//! an instant restore exactly the right rows (also with the source deleted mid-restore, or after a
//! bulk load), refused forks create nothing, protection, power off/on and delete. Recovery, TLS,
//! full disks and backups have files of their own: `local_recovery.rs`, `local_tls.rs`,
//! `local_disk.rs`, `local_backups.rs`.

use std::time::Duration;

use crate::local_support::*;

#[test]
fn fork_latest_and_to_an_instant_restore_exactly_the_right_rows() {
    let l = Local::start();
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("src");
    sql(&uri, "CREATE TABLE t (id int, batch text); INSERT INTO t SELECT g, 't1' FROM generate_series(1, 100) g")
        .unwrap();
    // Not synchronisation: the pauses put time between the commits, so that `between` falls
    // clearly after t2's commit and before t3's (a point-in-time target is an instant).
    std::thread::sleep(Duration::from_millis(300));
    sql(&uri, "INSERT INTO t SELECT g, 't2' FROM generate_series(1, 100) g").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let between = jiff::Timestamp::now();
    std::thread::sleep(Duration::from_millis(500));
    sql(&uri, "INSERT INTO t SELECT g, 't3' FROM generate_series(1, 100) g").unwrap();

    // Three forks at once from the same source: latest (as Aiven's docs), PITR (RFC 3339), PITR (naive UTC).
    l.avn(&["service", "create", "latest", "-t", "pg", "-p", "startup-4", "-c", "service_to_fork_from=src"]).code(0);
    let rfc = between.to_string();
    l.avn(&[
        "service",
        "create",
        "pitr",
        "-t",
        "pg",
        "-p",
        "business-4",
        "--service-to-fork-from",
        "src",
        "--recovery-target-time",
        &rfc,
    ])
    .code(0);
    let naive = between.to_zoned(jiff::tz::TimeZone::UTC).datetime().strftime("%Y-%m-%d %H:%M:%S%.6f").to_string();
    l.avn(&[
        "service",
        "create",
        "pitr2",
        "-t",
        "pg",
        "-p",
        "startup-4",
        "--service-to-fork-from",
        "src",
        "--recovery-target-time",
        &naive,
    ])
    .code(0);
    wait_running(&l, &["latest", "pitr", "pitr2"]);
    assert_eq!(batches(&l.uri("latest")), "t1|100 t2|100 t3|100");
    assert_eq!(batches(&l.uri("pitr")), "t1|100 t2|100");
    assert_eq!(batches(&l.uri("pitr2")), "t1|100 t2|100");

    // The fork is independent: writes there do not reach the source, and it has the same users.
    sql(&l.uri("pitr"), "INSERT INTO t VALUES (0, 'fork-only')").unwrap();
    assert_eq!(batches(&uri), "t1|100 t2|100 t3|100");
    let fork = l.service("pitr");
    assert_eq!(fork["user_config"]["service_to_fork_from"], "src");
    assert_eq!(fork["users"][0]["username"], "avnadmin");
    assert_eq!(fork["plan"], "business-4");
    // and gets its own backups, so it can be forked in turn
    l.wait_first_backup("pitr");
    l.avn(&[
        "service",
        "create",
        "grandchild",
        "-t",
        "pg",
        "-p",
        "startup-4",
        "-c",
        "service_to_fork_from=pitr",
        "--wait",
        "--timeout",
        "120",
    ])
    .code(0);
    assert_eq!(batches(&l.uri("grandchild")), "fork-only|1 t1|100 t2|100");
}

#[test]
fn refused_forks_create_nothing() {
    let l = Local::start();
    // The README's `service types -v` shows the defaults the local control plane applies.
    let types = l.avn(&["service", "types", "-v"]);
    assert!(types.code(0).stdout.contains("-c pg.max_connections=<integer>  (default=100)"), "{}", types.stdout);
    assert!(types.stdout.contains("-c pg.log_min_duration_statement=<integer>  (default=-1)"), "{}", types.stdout);
    // Plans with the local cloud's price; an unknown cloud lists the clouds.
    let plans = l.avn(&["service", "plans", "-t", "pg", "-v"]);
    assert!(
        plans
            .code(0)
            .stdout
            .contains("    pg:premium-4                   $0.000/h  Premium-4 (1 CPU, 1 GB RAM, 320-1280 GB disk)")
            && plans.stdout.contains("PRICE_USD_PER_HOUR"),
        "{}",
        plans.stdout
    );
    let r = l.avn(&["service", "plans", "-t", "pg", "--cloud", "CLOUD_NAME"]);
    assert!(r.code(2).stderr.contains("clouds with plans for service type 'pg': local"), "{}", r.stderr);
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    l.avn(&["service", "create", "hobby", "-t", "pg", "-p", "hobbyist", "--wait", "--timeout", "120"]).code(0);
    let backups = l.avn(&["service", "backup-list", "src"]);
    assert!(backups.stderr.contains("Point-in-time recovery window: "), "{}", backups.stderr);
    assert!(l.avn(&["service", "backup-list", "hobby", "--json"]).json().as_array().unwrap().is_empty());

    // before the first backup: outside the window
    let r = l.avn(&[
        "service",
        "create",
        "f1",
        "-t",
        "pg",
        "-p",
        "startup-4",
        "--service-to-fork-from",
        "src",
        "--recovery-target-time",
        "2020-01-01T00:00:00Z",
    ]);
    r.code(1);
    assert!(r.stderr.contains("outside the point-in-time recovery window"), "{}", r.stderr);
    // from a plan without backups
    let r = l.avn(&["service", "create", "f2", "-t", "pg", "-p", "startup-4", "-c", "service_to_fork_from=hobby"]);
    r.code(1);
    assert!(r.stderr.contains("has no backups"), "{}", r.stderr);
    // to a plan without backups, from a missing source, into an unknown cloud, with an unknown option
    let r = l.avn(&["service", "create", "f3", "-t", "pg", "-p", "hobbyist", "-c", "service_to_fork_from=src"]);
    r.code(1);
    let r = l.avn(&["service", "create", "f4", "-t", "pg", "-p", "startup-4", "-c", "service_to_fork_from=ghost"]);
    r.code(2);
    assert!(r.stderr.contains("'local/ghost', does not exist; nothing was created"), "{}", r.stderr);
    let r = l.avn(&["service", "create", "f5", "-t", "pg", "-p", "startup-4", "--cloud", "aws-eu-west-1"]);
    r.code(2);
    assert!(
        r.stderr.contains("not offered in cloud 'aws-eu-west-1'") && r.stderr.contains("clouds for pg: local"),
        "{}",
        r.stderr
    );
    let r = l.avn(&["service", "create", "f6", "-t", "pg", "-p", "startup-4", "-c", "pg.nope=1"]);
    r.code(2);
    // a future target is refused by the server too (the CLI refuses it before sending)
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = l.client();
    let body: avn_api::ServiceCreate = serde_json::from_value(serde_json::json!({"cloud": null, "plan": "startup-4",
        "service_integrations": [], "service_name": "f7", "service_type": "pg", "termination_protection": false, "static_ips": [],
        "user_config": {"service_to_fork_from": "src", "recovery_target_time": "2099-01-01 00:00:00"}})).unwrap();
    let e = rt.block_on(client.service_create("local", &body)).unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("in the future"), "{e}");

    let names: Vec<String> =
        l.avn(&["service", "list", "--format", "{service_name}"]).code(0).stdout.lines().map(str::to_string).collect();
    assert_eq!(names, vec!["hobby", "src"]);
    assert_eq!(l.postmasters(), 2);
}

#[test]
fn protection_power_cycle_and_delete() {
    let l = Local::start();
    l.avn(&[
        "service",
        "create",
        "db",
        "-t",
        "pg",
        "-p",
        "startup-4",
        "--enable-termination-protection",
        "--wait",
        "--timeout",
        "120",
    ])
    .code(0);
    let uri = l.uri("db");
    sql(&uri, "CREATE TABLE t (id int, batch text); INSERT INTO t VALUES (1, 'kept')").unwrap();
    let r = l.avn(&["service", "terminate", "db", "--force"]);
    r.code(4);
    assert!(r.stderr.contains("protected"), "{}", r.stderr);
    l.avn(&["service", "update", "db", "--power-off"]).code(4);
    l.avn(&["service", "update", "db", "--disable-termination-protection"]).code(0);

    let r = l.avn(&["service", "update", "db", "--power-off", "--json"]);
    assert_eq!(r.code(0).json()["state"], "POWEROFF");
    assert!(sql(&uri, "SELECT 1").is_err(), "a powered-off service accepts no connections");
    assert_eq!(l.postmasters(), 0);
    l.avn(&["service", "update", "db", "--power-on"]).code(0);
    wait_running(&l, &["db"]);
    assert_eq!(batches(&uri), "kept|1");

    l.avn(&["service", "update", "db", "-c", "pg.statement_timeout=12345"]).code(0);
    assert_eq!(sql(&uri, "SHOW statement_timeout").unwrap()[0][0], "12345ms");

    l.avn(&["service", "terminate", "db", "--force"]).code(0);
    l.avn(&["service", "get", "db"]).code(1);
    assert_eq!(l.postmasters(), 0);
    let left: Vec<_> = std::fs::read_dir(l.data_dir().join("instances")).unwrap().collect();
    assert!(left.is_empty(), "instance directory removed");
}

#[test]
fn deleting_the_source_mid_restore_never_truncates_the_fork() {
    let l = Local::start();
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    // Loaded after the first base backup, so the fork replays it from the archive.
    sql(&l.uri("src"), "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 400000) g")
        .unwrap();
    l.avn(&["service", "fork", "src", "copy", "--no-wait"]).code(0);
    // The source is terminated while the fork is still restoring.
    l.avn(&["service", "terminate", "src", "--force"]).code(0);
    wait_running(&l, &["copy"]);
    assert_eq!(sql(&l.uri("copy"), "SELECT count(*) FROM big").unwrap()[0][0], "400000");
    assert!(l.log().contains("kept until the forks that need them finish"), "{}", l.log());
    // Once no fork needs them, the deleted source's backups and WAL are removed.
    let instances = l.data_dir().join("instances");
    wait_until(l.with_log("the deleted source's directory to be removed"), Duration::from_secs(30), || {
        (std::fs::read_dir(&instances).unwrap().count() == 1).then_some(())
    });
}

#[test]
fn a_fork_after_a_bulk_load_copies_the_running_source_and_loses_no_commit() {
    // A low threshold makes a small load count as "much WAL since the last base backup".
    let l = Local::start_with(tempfile::tempdir().unwrap(), vec![("AVN_LOCAL_ONLINE_COPY_WAL_MB".into(), "2".into())]);
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("src");
    let before_load = jiff::Timestamp::now();
    // Not synchronisation: time between the instant and the load, for the point-in-time fork.
    std::thread::sleep(Duration::from_millis(500));
    sql(&uri, "CREATE TABLE big AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 40000) g").unwrap();
    sql(&uri, "CREATE TABLE ticks (n int)").unwrap();
    // Writes go on during the fork; every one committed before the fork was asked for must be in it.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let committed = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
    let writer = {
        let (uri, stop, committed) = (uri.clone(), stop.clone(), committed.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                sql(&uri, &format!("INSERT INTO ticks VALUES ({n})")).unwrap();
                committed.store(n, std::sync::atomic::Ordering::Relaxed);
            }
        })
    };
    // The writes are going on before the fork is asked for.
    wait_until("the writer's first commit", Duration::from_secs(30), || {
        (committed.load(std::sync::atomic::Ordering::Relaxed) > 0).then_some(())
    });
    let floor = committed.load(std::sync::atomic::Ordering::Relaxed);
    let r = l.avn(&["service", "fork", "src", "copy", "--timeout", "120"]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    r.code(0);
    assert!(l.log().contains("forking from an online copy"), "{}", l.log());
    let fork = l.uri("copy");
    assert_eq!(one(&fork, "SELECT count(*) FROM big"), "40000");
    let ticks: i64 = one(&fork, "SELECT count(*) FROM ticks").parse().unwrap();
    let max: i64 = one(&fork, "SELECT coalesce(max(n), 0) FROM ticks").parse().unwrap();
    assert!(ticks >= floor && ticks == max, "the fork has {ticks} ticks (max {max}); {floor} were committed before it");
    // The source went on serving, and a point-in-time fork still restores a base backup.
    assert_eq!(one(&uri, "SELECT count(*) FROM big"), "40000");
    l.avn(&["service", "fork", "src", "early", "--pitr", &before_load.to_string(), "--timeout", "120"]).code(0);
    assert!(l.log().contains("forking from a base backup"), "{}", l.log());
    assert!(sql(&l.uri("early"), "SELECT count(*) FROM big").is_err(), "the PITR fork predates the load");
}
