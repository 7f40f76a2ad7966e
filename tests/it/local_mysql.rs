//! MySQL services on the local control plane, for real (MariaDB 10.11): TLS with the project's
//! CA, users and databases, and forks to the latest transaction and to instants that hold
//! exactly the rows committed by then, checked by logging in with the `mariadb` client.

use std::time::Duration;
use std::time::Instant;

use serde_json::Value;

use crate::local_support::*;

/// A MySQL login: host, port, user, password, and the project's CA to verify the server with.
pub struct My {
    pub port: String,
    pub user: String,
    pub password: String,
    pub ca: std::path::PathBuf,
}

impl My {
    /// The administrator's login of service `name`.
    pub fn admin(l: &Local, name: &str) -> My {
        let s = l.service(name);
        let p = &s["service_uri_params"];
        My {
            port: p["port"].as_str().unwrap().to_string(),
            user: p["user"].as_str().unwrap().to_string(),
            password: p["password"].as_str().unwrap().to_string(),
            ca: l.data_dir().join("ca/ca.crt"),
        }
    }

    /// Run SQL with the `mariadb` client over TLS, verifying the server's certificate against the
    /// project's CA; the rows as tab-separated lines.
    pub fn sql(&self, db: &str, query: &str) -> Result<String, String> {
        let out = std::process::Command::new("mariadb")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("MYSQL_PWD", &self.password)
            .args(["--no-defaults", "-h127.0.0.1", "--batch", "--skip-column-names", "--ssl-verify-server-cert"])
            .arg(format!("-P{}", self.port))
            .arg(format!("-u{}", self.user))
            .arg(format!("--ssl-ca={}", self.ca.display()))
            .args(["-D", db, "-e", query])
            .output()
            .unwrap();
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }

    pub fn one(&self, query: &str) -> String {
        self.sql("defaultdb", query).unwrap_or_else(|e| panic!("{query}: {e}"))
    }
}

fn create(l: &Local, name: &str) {
    l.avn(&["service", "create", name, "-t", "mysql", "--plan", "startup-4"]).code(0);
    wait_running(l, &[name]);
    l.wait_first_backup(name);
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

fn fork_to(l: &Local, src: &str, new: &str, t: Option<jiff::Timestamp>) -> Value {
    let mut args = vec!["service".to_string(), "fork".into(), src.into(), new.into()];
    if let Some(t) = t {
        args.extend(["--pitr".into(), avn_api::time::format_zulu(t)]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = l.avn(&args);
    assert_eq!(r.code, 0, "{}\n{}\nserver log:\n{}", r.stdout, r.stderr, l.log());
    l.service(new)
}

/// The fork's own account of what it holds: the instant it was restored to when that is not its
/// target.
fn restored_to(fork: &Value) -> Option<jiff::Timestamp> {
    fork["service_notifications"]
        .as_array()?
        .iter()
        .find(|n| n["type"] == avn_api::service::FORK_RESTORED_TO)
        .and_then(|n| n["metadata"]["restored_to"].as_str())
        .and_then(avn_api::time::parse)
}

#[test]
fn a_mysql_service_is_real_and_its_forks_hold_exactly_the_rows_of_their_instant() {
    let l = Local::start();
    create(&l, "src");
    let s = l.service("src");
    assert_eq!(s["service_type"], "mysql");
    let uri = s["service_uri"].as_str().unwrap();
    assert!(uri.starts_with("mysql://avnadmin:") && uri.ends_with("/defaultdb?ssl-mode=REQUIRED"), "{uri}");
    assert!(s["metadata"]["mysql_version"].as_str().unwrap().contains("MariaDB"), "{}", s["metadata"]);
    assert!(s["service_type_description"].as_str().unwrap().contains("MariaDB"));
    assert_eq!(s["users"][0]["username"], "avnadmin");
    assert_eq!(s["users"][0]["type"], "primary");
    assert_eq!(s["databases"], serde_json::json!(["defaultdb"]));
    let backups = l.avn(&["service", "backup-list", "src", "--json"]).code(0).json();
    assert_eq!(backups[0]["incremental"], false, "{backups}");
    let types = l.avn(&["service", "types"]).code(0).stdout.clone();
    assert!(types.lines().any(|t| t.starts_with("mysql") && t.contains("MariaDB")), "{types}");

    // TLS with the project's CA; a login without TLS is refused.
    let src = My::admin(&l, "src");
    assert_eq!(src.one("SELECT VARIABLE_VALUE LIKE 'TLSv1%' FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_version'"), "1");
    let plain = std::process::Command::new("mariadb")
        .env("MYSQL_PWD", &src.password)
        .args(["--no-defaults", "-h127.0.0.1", "--skip-ssl", "-uavnadmin", "-e", "SELECT 1"])
        .arg(format!("-P{}", src.port))
        .output()
        .unwrap();
    assert!(!plain.status.success(), "a plain-text login was accepted");
    // avnadmin cannot stop the control plane from stopping its writes (renames).
    let e = src.sql("defaultdb", "SET GLOBAL read_only = ON").unwrap_err();
    assert!(e.contains("READ_ONLY ADMIN"), "{e}");
    let e = src.sql("defaultdb", "RESET MASTER").unwrap_err();
    assert!(e.contains("RELOAD") || e.contains("denied"), "{e}");

    // Users and databases, for real.
    l.avn(&["service", "user-create", "src", "--username", "app"]).code(0);
    let app_pw = l
        .avn(&["service", "user-get", "src", "--username", "app", "--format", "{password}"])
        .code(0)
        .stdout
        .trim()
        .to_string();
    l.avn(&["service", "database-create", "src", "--dbname", "appdb"]).code(0);
    assert_eq!(l.avn(&["service", "database-list", "src"]).code(0).stdout, "appdb\ndefaultdb\n");
    let app = My { user: "app".into(), password: app_pw.clone(), ..My::admin(&l, "src") };
    assert_eq!(app.sql("appdb", "SELECT CURRENT_USER(), DATABASE()").unwrap(), "app@%\tappdb");

    // Query statistics by digest: what applications ran, not the control plane's own statements.
    for _ in 0..3 {
        app.sql("appdb", "SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'appdb'").unwrap();
    }
    let stats = l.avn(&["service", "queries", "src", "--json"]).code(0).json();
    let stats = stats.as_array().unwrap();
    let ours = stats
        .iter()
        .find(|q| q["digest_text"].as_str().is_some_and(|t| t.contains("SCHEMATA")))
        .unwrap_or_else(|| panic!("{stats:?}"));
    assert_eq!(ours["count_star"], 3, "{ours}");
    assert_eq!(ours["sum_rows_sent"], 3, "{ours}");
    assert!(ours["avg_timer_wait"].as_f64().unwrap() > 0.0, "milliseconds: {ours}");
    assert!(ours["first_seen"].as_str().unwrap().ends_with('Z'), "{ours}");
    let own = ["MASTER STATUS", "global_priv", "PROCESSLIST"];
    assert!(
        !stats.iter().any(|q| own.iter().any(|o| q["digest_text"].as_str().unwrap_or("").contains(o))),
        "the control plane's statements are not the user's: {stats:?}"
    );
    let table = l.avn(&["service", "queries", "src"]).code(0).stdout.clone();
    assert!(table.starts_with("DIGEST_TEXT"), "{table}");
    if let Some(python) = crate::differential::official_python() {
        let theirs =
            crate::official_client::official(&python, &l, &["service", "queries", "src", "-v", "--project", "local"]);
        theirs.code(0);
        assert!(theirs.stdout.contains("SCHEMATA") && theirs.stdout.contains("SCHEMA_NAME"), "{}", theirs.stdout);
        // Nothing measured runs between the two (the control plane's sessions are not
        // measured): both print the same.
        for args in [&["service", "queries", "src"][..], &["service", "queries", "src", "--json"]] {
            let mut theirs_args = args.to_vec();
            theirs_args.extend(["--project", "local"]);
            let theirs = crate::official_client::official(&python, &l, &theirs_args).code(0).stdout.clone();
            assert_eq!(l.avn(args).code(0).stdout, theirs, "{args:?}");
        }
    }

    // A user who writes more privileges into `mysql.*` has them taken back (before a restart or
    // a fork would load them), and cannot stop a rename's read-only.
    app.sql("appdb", "UPDATE mysql.global_priv SET Priv = JSON_SET(Priv, '$.access', 549755813887) WHERE User = 'app'")
        .unwrap();
    let over = "SELECT count(*) FROM mysql.global_priv WHERE User = 'app' \
                AND CAST(JSON_VALUE(Priv, '$.access') AS UNSIGNED) & ~275146308927 <> 0";
    crate::support::wait_until("the escalation taken back", Duration::from_secs(15), || {
        (src.one(over) == "0").then_some(())
    });
    let e = app.sql("appdb", "SET GLOBAL read_only = ON").unwrap_err();
    assert!(e.contains("READ_ONLY ADMIN"), "{e}");

    // Three batches at known instants, a pair less than a second apart, and forks between them.
    src.one("CREATE TABLE t (id INT PRIMARY KEY, batch INT NOT NULL)");
    src.one("INSERT INTO t SELECT seq, 1 FROM seq_1_to_100");
    std::thread::sleep(Duration::from_millis(700));
    let t1 = now();
    std::thread::sleep(Duration::from_millis(700));
    src.one("INSERT INTO t SELECT seq, 2 FROM seq_101_to_200");
    // The app's password changes after T2: a fork to T2 has the old one.
    std::thread::sleep(Duration::from_millis(400));
    let t2 = now();
    std::thread::sleep(Duration::from_millis(300));
    l.avn(&["service", "user-password-reset", "src", "--username", "app"]).code(0);
    src.one("INSERT INTO t VALUES (201, 3)");
    std::thread::sleep(Duration::from_millis(300));
    let t3 = now();
    std::thread::sleep(Duration::from_millis(300));
    src.one("INSERT INTO t VALUES (202, 3)");
    src.one("INSERT INTO t SELECT seq, 3 FROM seq_203_to_300");

    let counts = |name: &str| {
        My::admin(&l, name)
            .one("SELECT batch, count(*) FROM t GROUP BY batch ORDER BY batch")
            .replace(['\t', '\n'], " ")
    };
    for (fork, t, want) in [("at-t1", t1, "1 100"), ("at-t2", t2, "1 100 2 100"), ("at-t3", t3, "1 100 2 100 3 1")] {
        let f = fork_to(&l, "src", fork, Some(t));
        assert_eq!(
            restored_to(&f),
            None,
            "{fork} could not be cut exactly at its target: {}",
            f["service_notifications"]
        );
        assert_eq!(counts(fork), want, "{fork} (target {t})");
        // The replay (the fork's own replication SQL thread) leaves no relay log and no
        // replication state behind.
        assert_eq!(My::admin(&l, fork).one("SELECT @@gtid_slave_pos"), "", "{fork}");
        let data = l.instance(fork).0.join("data");
        let left: Vec<String> = std::fs::read_dir(&data)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with("relay-bin") || n == "master.info" || n == "relay-log.info")
            .collect();
        assert!(left.is_empty(), "{fork}: {left:?}");
    }
    // The fork to T2 has the app user with the password it had then, and its database.
    let old_app = My { user: "app".into(), password: app_pw, ..My::admin(&l, "at-t2") };
    assert_eq!(old_app.sql("appdb", "SELECT count(*) FROM defaultdb.t").unwrap(), "200");
    // To the latest transaction, and a fork of a fork.
    fork_to(&l, "src", "latest", None);
    assert_eq!(counts("latest"), "1 100 2 100 3 100");
    fork_to(&l, "at-t2", "fork-of-fork", None);
    assert_eq!(counts("fork-of-fork"), "1 100 2 100");
    // Aiven's own form of the target (whole seconds, UTC) through `service create`.
    let whole = jiff::Timestamp::from_second(t2.as_second()).unwrap();
    let at = whole.to_zoned(jiff::tz::TimeZone::UTC).strftime("%Y-%m-%d %H:%M:%S").to_string();
    let r = l.avn(&[
        "service",
        "create",
        "by-create",
        "-t",
        "mysql",
        "--plan",
        "startup-4",
        "-c",
        "service_to_fork_from=src",
        "-c",
        &format!("recovery_target_time={at}"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    wait_running(&l, &["by-create"]);
    let c = counts("by-create");
    assert!(c == "1 100" || c == "1 100 2 100", "a fork to {at}: {c}");

    // `--run-sql` on a MySQL fork, through a TLS session: the change is there, and a failing file
    // is rolled back and reported.
    let dir = tempfile::tempdir().unwrap();
    let mask = dir.path().join("mask.sql");
    std::fs::write(&mask, "UPDATE t SET batch = 9 WHERE id <= 10;\nDELETE FROM t WHERE id > 290;\n").unwrap();
    let r = l.avn(&["service", "fork", "src", "masked", "--run-sql", mask.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("accepts connections") || r.stderr.contains("accepts connections"), "{}", r.stderr);
    assert_eq!(counts("masked"), "1 90 2 100 3 90 9 10");
    let bad = dir.path().join("bad.sql");
    std::fs::write(&bad, "DELETE FROM t WHERE id = 1;\nSELECT nosuchcolumn FROM t;\n").unwrap();
    let r = l.avn(&["service", "fork", "src", "bad-sql", "--run-sql", bad.to_str().unwrap(), "--keep-on-failure"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("nosuchcolumn") && r.stderr.contains("rolled back"), "{}", r.stderr);
    assert_eq!(counts("bad-sql"), "1 100 2 100 3 100", "the failed file's DELETE was rolled back");

    // The shell: MariaDB's client, TLS verified against the project's CA, the password in its
    // environment only.
    let r = l.avn(&[
        "service", "cli", "src", "--", "--batch", "--skip-column-names", "-e",
        "SELECT CURRENT_USER(), VARIABLE_VALUE LIKE 'TLS%' FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_version'",
    ]);
    assert_eq!(r.code(0).stdout, "avnadmin@%\t1\n");
    let r = l.avn(&[
        "service",
        "cli",
        "src",
        "--",
        "--batch",
        "-e",
        "system env\nsystem tr '\\0' ' ' < /proc/$PPID/cmdline",
    ]);
    let out = &r.code(0).stdout;
    assert!(out.contains("MYSQL_PWD="), "the password goes through the environment: {out}");
    assert!(!out.contains("AIVEN_AUTH_TOKEN") && !out.contains(&l.token), "the token is not passed on");
    let args_line = out.lines().find(|x| x.starts_with("mysql -h")).unwrap_or_else(|| panic!("{out}"));
    assert!(!args_line.contains(&src.password) && args_line.contains("--ssl-verify-server-cert"), "{args_line}");

    // A fork of a pg service as mysql is refused before anything is created.
    let r = l.avn(&["service", "create", "wrong", "-t", "pg", "--plan", "startup-4", "-c", "service_to_fork_from=src"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("mysql"), "{}", r.stderr);
}

#[test]
fn a_fork_under_a_live_writer_holds_every_row_committed_by_its_instant_and_none_after() {
    let l = Local::start();
    create(&l, "live");
    let my = My::admin(&l, "live");
    my.one("CREATE TABLE w (id INT PRIMARY KEY)");
    // A writer that records when each insert began and when it was acknowledged.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (stop2, writer_login) = (stop.clone(), My::admin(&l, "live"));
    let writer = std::thread::spawn(move || {
        let mut log = vec![];
        let mut id = 0;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            id += 1;
            let began = now();
            writer_login.sql("defaultdb", &format!("INSERT INTO w VALUES ({id})")).unwrap();
            log.push((id, began, now()));
        }
        log
    });
    std::thread::sleep(Duration::from_millis(1500));
    let t = now();
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    let fork = fork_to(&l, "live", "live-fork", Some(t));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let log = writer.join().unwrap();
    assert!(log.len() > 20, "the writer wrote {} rows", log.len());
    // What the fork holds is exactly what was committed by its instant: its target, or the
    // earlier instant it says it was restored to.
    let held_to = restored_to(&fork).unwrap_or(t);
    assert!(held_to <= t && t.duration_since(held_to) < jiff::SignedDuration::from_millis(200), "{held_to} vs {t}");
    let ids: std::collections::BTreeSet<i64> =
        My::admin(&l, "live-fork").one("SELECT id FROM w").lines().map(|l| l.parse().unwrap()).collect();
    for (id, began, acked) in &log {
        if *acked <= held_to {
            assert!(
                ids.contains(id),
                "row {id} was acknowledged at {acked}, before {held_to}, but is not in the fork (it has {} rows); {}",
                ids.len(),
                l.log().lines().filter(|l| l.contains("cut")).collect::<Vec<_>>().join("\n")
            );
        }
        if *began > t {
            assert!(!ids.contains(id), "row {id} began at {began}, after the target {t}, but is in the fork");
        }
    }
    // No row is missing in the middle: the fork is a prefix of the committed sequence.
    let max = ids.iter().max().copied().unwrap_or(0);
    assert_eq!(ids.len() as i64, max, "the fork's rows are not a prefix");
    eprintln!("fork under a live writer: {} rows, target {t}, held to {held_to}, {:?}", ids.len(), started.elapsed());
}

/// DigitalOcean's "How to Fork a MySQL Database Cluster", on the local control plane: create and
/// load, fork to the latest transaction with another plan and more disk, make a mistake and fork
/// to the instant before it; bad names are refused before any request.
#[test]
fn the_digitalocean_fork_scenario_end_to_end() {
    let l = Local::start();
    // 1. A MySQL service with data. The MySQL version Aiven's docs ask for is accepted, and the
    // service says what runs instead.
    l.avn(&["service", "create", "shop", "-t", "mysql", "--plan", "startup-4", "-c", "mysql_version=8.0"]).code(0);
    wait_running(&l, &["shop"]);
    l.wait_first_backup("shop");
    let notes = l.service("shop")["service_notifications"].to_string();
    assert!(notes.contains("MySQL 8.0 was asked for") && notes.contains("MariaDB"), "{notes}");
    let versions = l.avn(&["service", "versions"]).code(0).stdout.clone();
    assert!(versions.lines().any(|v| v.starts_with("mysql") && v.contains("10.11")), "{versions}");
    let shop = My::admin(&l, "shop");
    shop.one("CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(20) NOT NULL)");
    shop.one("INSERT INTO orders SELECT seq, CONCAT('item-', seq) FROM seq_1_to_500");

    // 2. A fork to the latest transaction, on another plan with more disk and a standby node.
    let r = l.avn(&["service", "fork", "shop", "shop-big", "-p", "business-4", "--disk-space-gib", "170"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let big = l.service("shop-big");
    assert_eq!(big["plan"], "business-4");
    assert_eq!(big["disk_space_mb"], 170 * 1024);
    assert_eq!(big["service_type"], "mysql");
    assert_eq!(big["node_count"], 2);
    assert_eq!(My::admin(&l, "shop-big").one("SELECT count(*) FROM orders"), "500");
    // Its standby is a real replica holding the same rows.
    wait_standby_running(&l, "shop-big");
    let standby = My { port: replica_port(&l, "shop-big").unwrap(), ..My::admin(&l, "shop-big") };
    assert_eq!(standby.one("SELECT count(*) FROM orders"), "500");
    // A disk size the plan cannot have is refused before anything is created.
    let r = l.avn(&["service", "fork", "shop", "shop-huge", "-p", "business-4", "--disk-space-gib", "165"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("steps of 10"), "{}", r.stderr);
    assert!(l.avn(&["service", "get", "shop-huge"]).code != 0, "a refused fork left a service");

    // 3. A mistake, then a fork to the instant before it.
    std::thread::sleep(Duration::from_millis(600));
    let before = now();
    std::thread::sleep(Duration::from_millis(600));
    shop.one("DELETE FROM orders WHERE id > 100");
    assert_eq!(shop.one("SELECT count(*) FROM orders"), "100");
    let r = l.avn(&["service", "fork", "shop", "shop-fixed", "--pitr", &avn_api::time::format_zulu(before)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("restored to"), "{}", r.stderr);
    assert_eq!(My::admin(&l, "shop-fixed").one("SELECT count(*), max(item) FROM orders"), "500\titem-99");

    // 4. Names are checked before any request.
    for bad in ["Shop_Fork", "1shop", "-shop"] {
        let r = l.avn(&["service", "fork", "shop", bad]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
    }
    let names: Vec<String> = l
        .avn(&["service", "list", "--json"])
        .code(0)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["shop", "shop-big", "shop-fixed"]);
}

#[test]
fn a_powered_off_service_keeps_its_data_and_forks_of_it_hold_what_it_committed() {
    let l = Local::start();
    create(&l, "off");
    let my = My::admin(&l, "off");
    my.one("CREATE TABLE t (id INT PRIMARY KEY)");
    my.one("INSERT INTO t SELECT seq FROM seq_1_to_10");
    std::thread::sleep(Duration::from_millis(600));
    let t1 = now();
    std::thread::sleep(Duration::from_millis(600));
    my.one("INSERT INTO t SELECT seq FROM seq_11_to_20");
    l.avn(&["service", "update", "off", "--power-off"]).code(0);
    // From the archive alone: the latest transaction, and an instant before the last batch.
    fork_to(&l, "off", "off-latest", None);
    assert_eq!(My::admin(&l, "off-latest").one("SELECT count(*) FROM t"), "20");
    let f = fork_to(&l, "off", "off-t1", Some(t1));
    assert_eq!(My::admin(&l, "off-t1").one("SELECT count(*) FROM t"), "10", "{}", f["service_notifications"]);
    // Powered on again: its data, its login, and its backups go on.
    l.avn(&["service", "update", "off", "--power-on"]).code(0);
    wait_running(&l, &["off"]);
    assert_eq!(My::admin(&l, "off").one("SELECT count(*) FROM t"), "20");
}

#[test]
fn a_kill_9_of_the_control_plane_mid_replay_redoes_the_fork_with_exactly_its_rows() {
    let mut l = Local::start();
    create(&l, "big");
    let my = My::admin(&l, "big");
    my.one("CREATE TABLE t (id INT PRIMARY KEY, pad VARCHAR(200) NOT NULL)");
    // Enough binary log after the backup that the replay takes a while.
    for chunk in 0..3 {
        my.one(&format!(
            "INSERT INTO t SELECT seq, REPEAT('x', 200) FROM seq_{}_to_{}",
            chunk * 50_000 + 1,
            (chunk + 1) * 50_000
        ));
    }
    std::thread::sleep(Duration::from_millis(600));
    let t = now();
    std::thread::sleep(Duration::from_millis(600));
    my.one("DELETE FROM t WHERE id > 1000");
    let at = avn_api::time::format_zulu(t);
    l.avn(&["service", "fork", "big", "big-copy", "--pitr", &at, "--no-wait"]).code(0);
    // Mid-replay: the fork's phase is the binary log stream.
    crate::support::wait_until(l.with_log("the fork to replay"), Duration::from_secs(120), || {
        let s = l.avn(&["service", "get", "big-copy", "--json"]).json();
        let phases = s["node_states"][0]["progress_updates"].as_array().cloned().unwrap_or_default();
        phases.iter().any(|p| p["phase"] == "stream" && p["completed"] == false).then_some(())
    });
    l.kill9();
    l.spawn_server();
    wait_running(&l, &["big-copy"]);
    assert_eq!(My::admin(&l, "big-copy").one("SELECT count(*) FROM t"), "150000");
    assert_eq!(l.processes("mariadbd"), 2, "one server per service, no replay server left over");
    assert!(l.log().contains("redoing"), "{}", l.log());
}

#[test]
fn forks_racing_each_other_and_a_power_off_all_hold_the_right_rows() {
    let l = Local::start();
    create(&l, "race");
    let my = My::admin(&l, "race");
    my.one("CREATE TABLE t (id INT PRIMARY KEY)");
    my.one("INSERT INTO t SELECT seq FROM seq_1_to_100");
    std::thread::sleep(Duration::from_millis(600));
    let t = avn_api::time::format_zulu(now());
    std::thread::sleep(Duration::from_millis(600));
    my.one("INSERT INTO t SELECT seq FROM seq_101_to_200");
    // Two forks and a power-off of their source, at once.
    let spawn = |args: &[&str]| {
        let mut c = l.cmd(args);
        c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        c.spawn().unwrap()
    };
    let a = spawn(&["service", "fork", "race", "race-latest", "--timeout", "120"]);
    let b = spawn(&["service", "fork", "race", "race-at", "--pitr", &t, "--timeout", "120"]);
    std::thread::sleep(Duration::from_millis(200));
    let off = spawn(&["service", "update", "race", "--power-off"]);
    for (name, child) in [("race-latest", a), ("race-at", b), ("power-off", off)] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{name}: {}\n{}", String::from_utf8_lossy(&out.stderr), l.log());
    }
    assert_eq!(My::admin(&l, "race-latest").one("SELECT count(*) FROM t"), "200");
    assert_eq!(My::admin(&l, "race-at").one("SELECT count(*) FROM t"), "100");
    assert_eq!(l.service("race")["state"], "POWEROFF");
}

/// `service rename` of a MySQL service on avn local, under a live writer: avn local stops writes
/// (read_only, sessions ended) and commits the fence; NEW holds every acknowledged row, OLD is
/// deleted, NEW takes writes, and an env file points at NEW.
#[test]
fn a_mysql_rename_under_live_writes_loses_no_acknowledged_row() {
    let l = Local::start();
    create(&l, "shop");
    let my = My::admin(&l, "shop");
    my.one("CREATE TABLE w (id INT PRIMARY KEY)");
    l.avn(&["service", "user-create", "shop", "--username", "app"]).code(0);
    let app_pw = l
        .avn(&["service", "user-get", "shop", "--username", "app", "--format", "{password}"])
        .code(0)
        .stdout
        .trim()
        .to_string();
    let writer_login = My { user: "app".into(), password: app_pw.clone(), ..My::admin(&l, "shop") };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let writer = std::thread::spawn(move || {
        let (mut acked, mut refused) = (vec![], vec![]);
        let mut id = 0;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            id += 1;
            match writer_login.sql("defaultdb", &format!("INSERT INTO w VALUES ({id})")) {
                Ok(_) => acked.push(id),
                Err(e) => refused.push(e),
            }
        }
        (acked, refused)
    });
    std::thread::sleep(Duration::from_millis(800));
    let env_file = l.dir.path().join("app.env");
    let uri = l.uri("shop");
    std::fs::write(&env_file, format!("DATABASE_URL={uri}\n")).unwrap();
    let spec = format!("{}:DATABASE_URL", env_file.display());
    let r = l.avn(&["service", "rename", "shop", "shop-v2", "--yes", "--verify", "checksum", "--repoint-env", &spec]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (acked, refused) = writer.join().unwrap();
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, l.log());
    assert!(r.stderr.contains("writes stopped on 'shop'") && r.stderr.contains("contents equal"), "{}", r.stderr);
    assert!(acked.len() > 5, "the writer wrote {} rows", acked.len());
    // A write refused by read_only (1290), or a session ended or refused while writes were
    // stopped and OLD was deleted: lost (2013), gone away (2006), killed (1927), a TLS stream cut
    // (2026), no server (2002, 2003).
    let expected =
        ["ERROR 1290 ", "ERROR 2013 ", "ERROR 2006 ", "ERROR 1927 ", "ERROR 2026 ", "ERROR 2002 ", "ERROR 2003 "];
    assert!(refused.iter().all(|e| expected.iter().any(|code| e.contains(code))), "{refused:?}");
    // NEW holds every row the writer was told was committed.
    let new = My::admin(&l, "shop-v2");
    let ids: std::collections::BTreeSet<i64> =
        new.one("SELECT id FROM w").lines().map(|x| x.parse().unwrap()).collect();
    for id in &acked {
        assert!(ids.contains(id), "row {id} was acknowledged by 'shop' but is not in 'shop-v2'");
    }
    assert!(l.avn(&["service", "get", "shop"]).code != 0, "OLD was deleted");
    // NEW takes writes, from its users too, and holds no fence.
    let app = My { user: "app".into(), password: app_pw, ..My::admin(&l, "shop-v2") };
    app.sql("defaultdb", "INSERT INTO w VALUES (1000000)").unwrap();
    assert!(new.sql("defaultdb", "SELECT 1 FROM avn_rename_fence").is_err(), "the fence was removed from NEW");
    let env = std::fs::read_to_string(&env_file).unwrap();
    assert!(env.contains(&format!(":{}/", new.port)), "{env}");
}

/// A fork that does not hold the fence is never used: the rename rolls back, OLD takes writes
/// again (read_only lifted, fence removed), and NEW is deleted.
#[test]
fn a_failed_mysql_rename_rolls_back_and_old_takes_writes_again() {
    let l = Local::start();
    create(&l, "db");
    let my = My::admin(&l, "db");
    my.one("CREATE TABLE t (id INT PRIMARY KEY)");
    my.one("INSERT INTO t VALUES (1)");
    let r = l
        .cmd(&["service", "rename", "db", "db2", "--yes"])
        .env("FAILPOINTS", "rename-fork-loses-fence=return")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr).to_string();
    assert!(!r.status.success(), "{stderr}");
    assert!(stderr.contains("fence row") && stderr.contains("undone: writes re-enabled on 'db'"), "{stderr}");
    my.sql("defaultdb", "INSERT INTO t VALUES (2)").expect("OLD takes writes again");
    assert!(my.sql("defaultdb", "SELECT 1 FROM avn_rename_fence").is_err(), "the fence was removed from OLD");
    assert!(l.avn(&["service", "get", "db2"]).code != 0, "NEW was deleted");
    let tags = l.service("db")["tags"].to_string();
    assert!(!tags.contains("avn_rename"), "the lease was released: {tags}");
    // The stop survives a restart of OLD's server while a rename holds it: kill -9 of mariadbd
    // during a stop, and the watchdog's restart keeps it read-only.
    let client = l.client();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let change = avn_api::writes::WritesChange { stopped: true, fence: None, remove_fence: false, lease: None };
    rt.block_on(client.local_set_writes("local", "db", &change)).unwrap();
    let pid_file = std::fs::read_dir(l.data_dir().join("instances"))
        .unwrap()
        .map(|e| e.unwrap().path().join("run/mariadbd.pid"))
        .find(|p| p.exists())
        .unwrap();
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    let gtid_before = my.one("SELECT @@global.gtid_binlog_pos");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    crate::support::wait_until("the server restarted", Duration::from_secs(60), || {
        let now: i32 = std::fs::read_to_string(&pid_file).ok()?.trim().parse().ok()?;
        (now != pid && my.sql("defaultdb", "SELECT 1").is_ok()).then_some(())
    });
    let e = my.sql("defaultdb", "INSERT INTO t VALUES (3)").unwrap_err();
    assert!(e.contains("read-only"), "{e}");
    // The restart wrote nothing to the binary log (its init-file is not logged): a rename's
    // fingerprint of OLD still holds.
    assert_eq!(my.one("SELECT @@global.gtid_binlog_pos"), gtid_before);
    let open = avn_api::writes::WritesChange { stopped: false, fence: None, remove_fence: false, lease: None };
    rt.block_on(client.local_set_writes("local", "db", &open)).unwrap();
    my.sql("defaultdb", "INSERT INTO t VALUES (3)").expect("writes open again");
}

/// The port of a service's first standby (its `replica` component), once known.
pub fn replica_port(l: &Local, name: &str) -> Option<String> {
    l.service(name)["components"]
        .as_array()?
        .iter()
        .find(|c| c["usage"] == "replica")
        .map(|c| c["port"].as_u64().unwrap().to_string())
}

fn wait_standby_running(l: &Local, name: &str) {
    crate::support::wait_until(l.with_log("the standby node to replicate"), Duration::from_secs(180), || {
        let s = l.service(name);
        let nodes = s["node_states"].as_array().cloned().unwrap_or_default();
        (nodes.len() == 2 && nodes[1]["role"] == "standby" && nodes[1]["state"] == "running").then_some(())
    });
}

#[test]
fn a_business_plan_runs_a_real_standby_that_replicates_and_is_tended() {
    let mut l = Local::start();
    l.avn(&["service", "create", "ha", "-t", "mysql", "--plan", "business-4"]).code(0);
    wait_running(&l, &["ha"]);
    let s = l.service("ha");
    assert_eq!(s["node_count"], 2, "{s}");
    let my = My::admin(&l, "ha");
    my.one("CREATE TABLE t (id INT PRIMARY KEY)");
    my.one("INSERT INTO t SELECT seq FROM seq_1_to_100");
    wait_standby_running(&l, "ha");
    let standby = My { port: replica_port(&l, "ha").expect("a replica component"), ..My::admin(&l, "ha") };
    let count = |m: &My| m.sql("defaultdb", "SELECT count(*) FROM t").unwrap_or_default();
    crate::support::wait_until("the standby to hold the rows", Duration::from_secs(30), || {
        (count(&standby) == "100").then_some(())
    });
    // Read-only for the service's users, over TLS verified against the project CA.
    let e = standby.sql("defaultdb", "INSERT INTO t VALUES (0)").unwrap_err();
    assert!(e.contains("1290") || e.contains("read-only") || e.contains("READ-ONLY"), "{e}");
    assert_eq!(l.processes("mariadbd"), 2);

    // kill -9 of the standby: restarted, and it catches up.
    let (inst, _, _) = l.instance("ha");
    let pid = std::fs::read_to_string(inst.join("standby-1/run/mariadbd.pid")).unwrap();
    my.one("INSERT INTO t SELECT seq FROM seq_101_to_200");
    assert!(std::process::Command::new("kill").args(["-9", pid.trim()]).status().unwrap().success());
    crate::support::wait_until(l.with_log("the standby restarted and caught up"), Duration::from_secs(60), || {
        (count(&standby) == "200").then_some(())
    });
    let new_pid = std::fs::read_to_string(inst.join("standby-1/run/mariadbd.pid")).unwrap();
    assert_ne!(new_pid.trim(), pid.trim());

    // Settings reach the standby too, at once.
    l.avn(&["service", "update", "ha", "-c", "mysql.group_concat_max_len=4321"]).code(0);
    assert_eq!(standby.one("SELECT @@global.group_concat_max_len"), "4321");

    // A hostile avnadmin drops the replication account (it replicates to the standby too), and
    // the standby restarts (a clean stop): its login is refused until the control plane makes
    // the account again. (After a kill -9 instead, re-applying that DROP USER can fail on the
    // standby, 1396: the control plane then builds it again; also safe, and slower.)
    my.one("DROP USER 'avn_repl'@'127.0.0.1'");
    my.one("INSERT INTO t VALUES (300)");
    crate::support::wait_until("the standby to apply the DROP USER", Duration::from_secs(30), || {
        (count(&standby) == "201").then_some(())
    });
    let pid = std::fs::read_to_string(inst.join("standby-1/run/mariadbd.pid")).unwrap();
    let term = std::process::Command::new("kill").args(["-TERM", pid.trim()]).status().unwrap();
    assert!(term.success(), "{}", l.log());
    my.one("INSERT INTO t VALUES (301)");
    crate::support::wait_until(l.with_log("replication repaired"), Duration::from_secs(60), || {
        (count(&standby) == "202").then_some(())
    });
    wait_standby_running(&l, "ha");
    assert!(l.log().contains("pointing it at the primary again"), "{}", l.log());
    let new_pid = std::fs::read_to_string(inst.join("standby-1/run/mariadbd.pid")).unwrap();

    // A kill -9 of the control plane: the standby is adopted, not rebuilt nor doubled.
    l.kill9();
    l.spawn_server();
    wait_standby_running(&l, "ha");
    assert_eq!(l.processes("mariadbd"), 2);
    assert_eq!(
        std::fs::read_to_string(inst.join("standby-1/run/mariadbd.pid")).unwrap().trim(),
        new_pid.trim(),
        "{}",
        l.log()
    );

    // Power off: no server left; on again: the standby is back, with what it had.
    l.avn(&["service", "update", "ha", "--power-off"]).code(0);
    assert_eq!(l.processes("mariadbd"), 0, "{}", l.log());
    // Meanwhile another program takes the standby's port: the standby moves to a free one.
    let squatter = std::net::TcpListener::bind(("127.0.0.1", standby.port.parse::<u16>().unwrap())).unwrap();
    l.avn(&["service", "update", "ha", "--power-on"]).code(0);
    wait_running(&l, &["ha"]);
    wait_standby_running(&l, "ha");
    let moved = replica_port(&l, "ha").unwrap();
    assert_ne!(moved, standby.port, "{}", l.log());
    drop(squatter);
    let standby = My { port: moved, ..My::admin(&l, "ha") };
    my.one("INSERT INTO t VALUES (1000)");
    crate::support::wait_until("the standby to follow", Duration::from_secs(30), || {
        (count(&standby) == "203").then_some(())
    });

    // A fork of it to a one-node plan has no standby; the plan made smaller removes the standby.
    l.avn(&["service", "fork", "ha", "ha-copy", "-p", "startup-4"]).code(0);
    assert_eq!(l.service("ha-copy")["node_states"].as_array().unwrap().len(), 1);
    l.avn(&["service", "update", "ha", "--plan", "startup-4"]).code(0);
    crate::support::wait_until(l.with_log("the standby removed"), Duration::from_secs(30), || {
        (!inst.join("standby-1").exists() && l.processes("mariadbd") == 2).then_some(())
    });
    assert_eq!(l.service("ha")["node_states"].as_array().unwrap().len(), 1);
    assert_eq!(My::admin(&l, "ha").one("SELECT count(*) FROM t"), "203");

    // Deleted: nothing of it runs.
    l.avn(&["service", "update", "ha", "--plan", "business-4"]).code(0);
    wait_standby_running(&l, "ha");
    l.avn(&["service", "terminate", "ha", "--force"]).code(0);
    crate::support::wait_until(l.with_log("ha's servers gone"), Duration::from_secs(30), || {
        (l.processes("mariadbd") == 1).then_some(())
    });
}
