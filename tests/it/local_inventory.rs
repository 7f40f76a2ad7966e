//! Service users, databases and connection pools on the local control plane, for real: roles and
//! databases in PostgreSQL, pools served by the service's own PgBouncer (restarted when it dies,
//! adopted after a `kill -9` of the control plane, stopped with the service), and forks that
//! carry all of them, checked with avn, with the official client and by logging in.

use std::time::Duration;

use serde_json::Value;

use crate::local_support::*;

/// Run one query over TLS with `psql` (PgBouncer requires TLS); the rows as `a|b` lines.
fn psql(uri: &str, query: &str) -> Result<String, String> {
    let out = std::process::Command::new("psql")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args([uri, "-XAtc", query])
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// `uri` with the user and password replaced.
fn as_user(uri: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = uri.split_once("://").unwrap();
    let (_, host) = rest.split_once('@').unwrap();
    format!("{scheme}://{user}:{password}@{host}")
}

fn password(l: &Local, service: &str, user: &str) -> String {
    let r = l.avn(&["service", "user-get", service, "--username", user, "--format", "{password}"]);
    r.code(0).stdout.trim().to_string()
}

fn pool_uri(l: &Local, service: &str, pool: &str) -> String {
    let pools = l.avn(&["service", "connection-pool-list", service, "--json"]).code(0).json();
    let p = pools.as_array().unwrap().iter().find(|p| p["pool_name"] == pool).expect("the pool is listed");
    p["connection_uri"].as_str().unwrap().to_string()
}

/// Pids of the PgBouncers running on this control plane's data.
fn bouncers(l: &Local) -> Vec<u32> {
    let needle = l.dir.path().to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd);
            cmd.contains("pgbouncer") && cmd.contains(&needle)
        })
        .collect()
}

#[test]
fn users_databases_and_pools_are_real_and_survive_crashes() {
    let mut l = Local::start();
    l.avn(&["service", "create", "db1", "-t", "pg", "-p", "hobbyist", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("db1");

    // Users: a real role with a generated password; a reset changes it for real.
    let r = l.avn(&["service", "user-create", "db1", "--username", "app"]);
    assert_eq!(r.code(0).stdout, "", "prints nothing on stdout, as the official client");
    let pw1 = password(&l, "db1", "app");
    assert_eq!(pw1.len(), 24);
    assert_eq!(one(&as_user(&uri, "app", &pw1), "SELECT current_user"), "app");
    let r = l.avn(&["service", "user-create", "db1", "--username", "app"]);
    assert!(r.code == 1 && r.stderr.contains("already exists"), "{}", r.stderr);
    let r = l.avn(&["service", "user-create", "db1", "--username", "pg_evil"]);
    assert!(r.code != 0 && r.stderr.contains("Invalid username"), "{}", r.stderr);
    let table = l.avn(&["service", "user-list", "db1"]).code(0).stdout.clone();
    assert!(table.lines().any(|x| x.split_whitespace().eq(["app", "normal"])), "{table}");
    assert!(table.lines().any(|x| x.split_whitespace().eq(["avnadmin", "primary"])), "{table}");
    assert!(!table.contains(&pw1), "no password in the table");

    l.avn(&["service", "user-password-reset", "db1", "--username", "app"]).code(0);
    let pw2 = password(&l, "db1", "app");
    assert_ne!(pw1, pw2);
    let refused = sql(&as_user(&uri, "app", &pw1), "SELECT 1").unwrap_err();
    assert!(refused.contains("password authentication failed"), "the old password still works: {refused}");
    assert_eq!(one(&as_user(&uri, "app", &pw2), "SELECT current_user"), "app");
    let mut c = l.cmd(&["service", "user-password-reset", "db1", "--username", "app", "--new-password", "-"]);
    c.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"Chosen-Passw0rd\n").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    assert_eq!(password(&l, "db1", "app"), "Chosen-Passw0rd");
    assert_eq!(one(&as_user(&uri, "app", "Chosen-Passw0rd"), "SELECT current_user"), "app");
    let r = l.avn(&["service", "user-password-reset", "db1", "--username", "app", "--new-password", "short"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(one(&as_user(&uri, "app", "Chosen-Passw0rd"), "SELECT 1"), "1", "a refused reset changes nothing");

    // Databases: real, with their locale; defaultdb cannot go.
    l.avn(&["service", "database-create", "db1", "--dbname", "appdb", "--lc-collate", "C", "--lc-ctype", "C"]).code(0);
    assert_eq!(one(&uri, "SELECT datcollate || '/' || datctype FROM pg_database WHERE datname = 'appdb'"), "C/C");
    let dbs = l.avn(&["service", "database-list", "db1", "--json"]).code(0).json();
    assert_eq!(dbs, serde_json::json!(["appdb", "defaultdb"]));
    assert_eq!(l.avn(&["service", "database-list", "db1"]).code(0).stdout, "appdb\ndefaultdb\n");
    let r = l.avn(&["service", "database-delete", "db1", "--dbname", "defaultdb"]);
    assert!(r.code == 1 && r.stderr.contains("cannot be deleted"), "{}", r.stderr);

    // Pools: PgBouncer on its own port, TLS, the pool's user and database.
    let r = l.avn(&[
        "service",
        "connection-pool-create",
        "db1",
        "--pool-name",
        "p0",
        "--dbname",
        "appdb",
        "--pool-size",
        "0",
    ]);
    assert_eq!(r.code, 2, "--pool-size 0 is refused: {}", r.stderr);
    l.avn(&[
        "service",
        "connection-pool-create",
        "db1",
        "--pool-name",
        "p1",
        "--dbname",
        "appdb",
        "--username",
        "app",
        "--pool-size",
        "3",
    ])
    .code(0);
    l.avn(&["service", "connection-pool-create", "db1", "--pool-name", "p2", "--dbname", "defaultdb"]).code(0);
    let p1 = pool_uri(&l, "db1", "p1");
    let port = l.service("db1")["service_uri_params"]["port"].as_str().unwrap().to_string();
    assert!(!p1.contains(&format!(":{port}/")), "the pool has its own port: {p1}");
    assert_eq!(
        psql(&p1, "SELECT current_database(), current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .unwrap(),
        "appdb|app|t"
    );
    let plain = psql(&p1.replace("sslmode=require", "sslmode=disable"), "SELECT 1").unwrap_err();
    assert!(plain.contains("SSL required"), "PgBouncer requires TLS: {plain}");
    assert_eq!(
        psql(&pool_uri(&l, "db1", "p2"), "SELECT current_database(), current_user").unwrap(),
        "defaultdb|avnadmin"
    );
    let table = l.avn(&["service", "connection-pool-list", "db1", "-v"]).code(0).stdout.clone();
    assert!(table.contains("p1") && !table.contains("Chosen-Passw0rd"), "{table}");

    // A deleted user cannot log in through a pool any more, fixed user or not.
    l.avn(&["service", "user-create", "db1", "--username", "gone"]).code(0);
    let gone_pw = password(&l, "db1", "gone");
    assert_eq!(psql(&as_user(&pool_uri(&l, "db1", "p2"), "gone", &gone_pw), "SELECT current_user").unwrap(), "gone");
    l.avn(&["service", "user-delete", "db1", "--username", "gone"]).code(0);
    for pool in ["p1", "p2"] {
        let r = psql(&as_user(&pool_uri(&l, "db1", pool), "gone", &gone_pw), "SELECT current_user");
        assert!(r.is_err(), "a deleted user logs in through {pool}: {r:?}");
    }
    // A password with URI delimiters: every URI shown still works.
    let odd = "p@ss/w:rd#%?x";
    l.avn(&["service", "user-password-reset", "db1", "--username", "app", "--new-password", odd]).code(0);
    assert_eq!(psql(&pool_uri(&l, "db1", "p1"), "SELECT current_user").unwrap(), "app");
    // A role made outside the API with a quote in its name, as a pool's user.
    sql(&uri, "CREATE ROLE \"it's\" LOGIN").unwrap();
    l.avn(&["service", "user-password-reset", "db1", "--username", "it's", "--new-password", "quoted-name-1"]).code(0);
    l.avn(&[
        "service",
        "connection-pool-create",
        "db1",
        "--pool-name",
        "p3",
        "--dbname",
        "appdb",
        "--username",
        "it's",
    ])
    .code(0);
    assert_eq!(psql(&pool_uri(&l, "db1", "p3"), "SELECT current_user").unwrap(), "it's");
    assert_eq!(psql(&pool_uri(&l, "db1", "p1"), "SELECT current_user").unwrap(), "app", "the other pools still work");
    l.avn(&["service", "connection-pool-delete", "db1", "--pool-name", "p3"]).code(0);
    // No statement that set a password is recorded with it.
    l.avn(&["service", "queries", "db1"]).code(0);
    let leaked = one(&uri, "SELECT count(*) FROM pg_stat_statements WHERE query ILIKE '%password%'");
    assert_eq!(leaked, "0", "pg_stat_statements holds statements that set passwords");
    let p1 = pool_uri(&l, "db1", "p1");

    // `service list` and `service get` agree.
    let listed = l.avn(&["service", "list", "--json"]).code(0).json();
    let got = l.avn(&["service", "get", "db1", "--json"]).code(0).json();
    for key in ["users", "databases", "connection_pools"] {
        assert_eq!(listed[0][key], got[key], "{key}");
    }
    assert_eq!(got["databases"], serde_json::json!(["appdb", "defaultdb"]));

    // What a pool uses cannot go.
    let r = l.avn(&["service", "user-delete", "db1", "--username", "app"]);
    assert!(r.code == 1 && r.stderr.contains("connection pool 'p1'"), "{}", r.stderr);
    let r = l.avn(&["service", "database-delete", "db1", "--dbname", "appdb"]);
    assert!(r.code == 1 && r.stderr.contains("connection pool 'p1'"), "{}", r.stderr);

    // A PgBouncer that dies is started again by the watchdog.
    let before = bouncers(&l);
    assert_eq!(before.len(), 1, "one PgBouncer for the service");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(before[0] as i32), nix::sys::signal::Signal::SIGKILL).unwrap();
    wait_until(l.with_log("PgBouncer to be started again"), Duration::from_secs(30), || {
        let now = bouncers(&l);
        (now.len() == 1 && now != before && psql(&p1, "SELECT 1").is_ok()).then_some(())
    });

    // After a kill -9 of the control plane, the running PgBouncer is adopted, not doubled.
    let running = bouncers(&l);
    l.kill9();
    l.spawn_server();
    wait_running(&l, &["db1"]);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(bouncers(&l), running, "adopted: {}", l.log());
    assert_eq!(psql(&p1, "SELECT current_user").unwrap(), "app");

    // Changes reach PgBouncer; the last pool's deletion stops it.
    l.avn(&[
        "service",
        "connection-pool-update",
        "db1",
        "--pool-name",
        "p1",
        "--pool-mode",
        "session",
        "--pool-size",
        "4",
    ])
    .code(0);
    let pools = l.avn(&["service", "connection-pool-list", "db1", "--json"]).code(0).json();
    assert_eq!((pools[0]["pool_mode"].as_str(), pools[0]["pool_size"].as_u64()), (Some("session"), Some(4)));
    assert_eq!(psql(&p1, "SELECT current_database()").unwrap(), "appdb");
    l.avn(&["service", "connection-pool-update", "db1", "--pool-name", "p1", "--username", ""]).code(0);
    let pools = l.avn(&["service", "connection-pool-list", "db1", "--json"]).code(0).json();
    assert_eq!(pools[0]["username"], Value::Null);

    // Powered off, the pooler stops; powered on, it is back.
    l.avn(&["service", "update", "db1", "--power-off"]).code(0);
    assert!(bouncers(&l).is_empty(), "PgBouncer stopped with the service");
    l.avn(&["service", "update", "db1", "--power-on"]).code(0);
    wait_running(&l, &["db1"]);
    wait_until("PgBouncer after the power-on", Duration::from_secs(30), || {
        psql(&pool_uri(&l, "db1", "p2"), "SELECT 1").ok()
    });

    for p in ["p1", "p2"] {
        l.avn(&["service", "connection-pool-delete", "db1", "--pool-name", p]).code(0);
    }
    assert!(bouncers(&l).is_empty(), "PgBouncer stopped with the last pool");
    l.avn(&["service", "user-delete", "db1", "--username", "app"]).code(0);
    assert!(sql(&as_user(&l.uri("db1"), "app", "Chosen-Passw0rd"), "SELECT 1").is_err(), "the user is gone");
    assert!(sql(&as_user(&l.uri("db1"), "app", "p%40ss%2Fw%3Ard%23%25%3Fx"), "SELECT 1").is_err(), "the user is gone");
    l.avn(&["service", "database-delete", "db1", "--dbname", "appdb"]).code(0);
    assert_eq!(l.avn(&["service", "database-list", "db1", "--json"]).code(0).json(), serde_json::json!(["defaultdb"]));
}

#[test]
fn a_fork_has_the_users_passwords_databases_and_pools_of_its_target_instant() {
    let l = Local::start();
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    l.avn(&["service", "user-create", "src", "--username", "app"]).code(0);
    l.avn(&["service", "database-create", "src", "--dbname", "appdb"]).code(0);
    l.avn(&["service", "connection-pool-create", "src", "--pool-name", "p1", "--dbname", "appdb", "--username", "app"])
        .code(0);
    let pw1 = password(&l, "src", "app");
    let src_uri = l.uri("src");
    let appdb = |uri: &str| uri.replace("/defaultdb?", "/appdb?");
    sql(
        &appdb(&src_uri),
        "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 10); GRANT ALL ON t TO app",
    )
    .unwrap();
    l.wait_first_backup("src");
    // Not synchronisation: time between the commits and the target instant.
    std::thread::sleep(Duration::from_millis(500));
    let target = jiff::Timestamp::now().to_string();
    std::thread::sleep(Duration::from_millis(500));
    // After the target: a new password, a new user and more rows, none of which the fork has.
    l.avn(&["service", "user-password-reset", "src", "--username", "app"]).code(0);
    l.avn(&["service", "user-create", "src", "--username", "late"]).code(0);
    sql(&appdb(&src_uri), "INSERT INTO t SELECT generate_series(11, 20)").unwrap();

    l.avn(&["service", "fork", "src", "copy", "--pitr", &target, "--timeout", "180"]).code(0);
    let users = l.avn(&["service", "user-list", "copy", "--json"]).code(0).json();
    let names: Vec<&str> = users.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["app", "avnadmin"], "the users at the target");
    assert_eq!(password(&l, "copy", "app"), pw1, "the password at the target");
    let copy_uri = l.uri("copy");
    assert_eq!(one(&appdb(&as_user(&copy_uri, "app", &pw1)), "SELECT count(*) FROM t"), "10");
    assert_eq!(
        l.avn(&["service", "database-list", "copy", "--json"]).code(0).json(),
        serde_json::json!(["appdb", "defaultdb"])
    );

    // The pool, on the fork's own PgBouncer.
    let p1 = pool_uri(&l, "copy", "p1");
    assert_ne!(p1, pool_uri(&l, "src", "p1"));
    assert_eq!(psql(&p1, "SELECT current_database(), current_user, count(*) FROM t").unwrap(), "appdb|app|10");
    assert_eq!(bouncers(&l).len(), 2, "one PgBouncer per service with pools");

    // The official client reads the same users, databases and pools.
    if let Some(python) = crate::differential::official_python() {
        let official = |args: &[&str]| crate::official_client::official(&python, &l, args);
        for args in [
            &["service", "user-list", "copy", "--project", "local", "--json"][..],
            &["service", "database-list", "copy", "--project", "local", "--json"],
            &["service", "connection-pool-list", "copy", "--project", "local", "--json"],
        ] {
            let theirs: Value = serde_json::from_str(&official(args).code(0).stdout).unwrap();
            let ours =
                l.avn(&args[..args.len() - 3].iter().chain(&["--json"]).copied().collect::<Vec<_>>()).code(0).json();
            assert_eq!(theirs, ours, "{args:?}");
        }
        let table = official(&["service", "user-list", "copy", "--project", "local"]).code(0).stdout.clone();
        assert!(table.lines().any(|x| x.split_whitespace().eq(["app", "normal"])), "{table}");
    }
    stops_its_poolers(l);
}

/// Stopping the control plane (as `avn local down` does) stops every PgBouncer it runs.
fn stops_its_poolers(mut l: Local) {
    assert!(!bouncers(&l).is_empty());
    let mut server = l.server.take().unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(server.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    server.wait().unwrap();
    assert!(bouncers(&l).is_empty(), "PgBouncers left running after the control plane stopped");
}
