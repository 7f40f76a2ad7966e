//! The daily reads against the local control plane, for real: the service's log (and following
//! it), its current queries and query statistics, tags, connection details and its shell.

use std::io::BufRead;
use std::time::Duration;

use crate::local_support::*;

#[test]
fn logs_queries_tags_connection_info_and_the_shell() {
    let l = Local::start();
    l.avn(&["service", "create", "db1", "-t", "pg", "-p", "hobbyist", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("db1");

    // Logs: the server's own lines, as the official client prints them.
    let r = l.avn(&["service", "logs", "db1", "-n", "50"]);
    let out = &r.code(0).stdout;
    let ready = out.lines().find(|x| x.contains("database system is ready to accept connections")).expect(out);
    assert!(ready.starts_with("20") && ready[26..].starts_with(" db1-1 postgresql-"), "{ready}");
    let newest = l.avn(&["service", "logs", "db1", "-n", "1", "-S", "desc", "--json"]).code(0).json();
    assert_eq!(newest.as_array().unwrap().len(), 1);
    // -f prints what the server logs later.
    let mut follow = l.cmd(&["service", "logs", "db1", "-n", "1", "-f"]);
    follow.stdout(std::process::Stdio::piped());
    let mut child = follow.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    let _ = sql(&uri.replace("/defaultdb?", "/no_such_db_marker?"), "SELECT 1");
    let seen = wait_until("-f to print the new log line", Duration::from_secs(20), || {
        rx.try_iter().find(|x| x.contains("no_such_db_marker"))
    });
    assert!(seen.contains("FATAL"), "{seen}");
    child.kill().unwrap();
    let _ = child.wait();

    // Current queries: a session that sleeps is listed, longest first.
    let sleeper_uri = uri.clone();
    let sleeper = std::thread::spawn(move || sql(&sleeper_uri, "SELECT pg_sleep(3) /* sleeper */"));
    let listed = wait_until("the sleeping query in current-queries", Duration::from_secs(10), || {
        let q = l.avn(&["service", "current-queries", "db1", "--json"]).code(0).json();
        q.as_array().unwrap().iter().find(|x| x["query"].as_str().is_some_and(|t| t.contains("sleeper"))).cloned()
    });
    assert!(listed["pid"].as_i64().is_some() && listed["query_duration"].as_f64().is_some(), "{listed}");
    sleeper.join().unwrap().unwrap();
    // Query statistics: pg_stat_statements counts the calls.
    for _ in 0..3 {
        sql(&uri, "SELECT count(*) FROM pg_namespace WHERE nspname = 'counted'").unwrap();
    }
    let stats = l.avn(&["service", "queries", "db1", "--json"]).code(0).json();
    let counted = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["query"].as_str().is_some_and(|t| t.contains("pg_namespace WHERE nspname")));
    assert!(counted.is_some_and(|q| q["calls"].as_i64() >= Some(3)), "{stats}");
    let table = l.avn(&["service", "queries", "db1"]).code(0).stdout.clone();
    assert!(table.starts_with("QUERY"), "{table}");

    // Tags.
    assert_eq!(
        l.avn(&["service", "tags", "update", "db1", "--add-tag", "team=billing", "--add-tag", "env=dev"])
            .code(0)
            .stdout,
        "tags updated\n"
    );
    l.avn(&["service", "tags", "update", "db1", "--remove-tag", "env"]).code(0);
    let tags = l.avn(&["service", "tags", "list", "db1", "--json"]).code(0).json();
    assert_eq!(tags, serde_json::json!([{"key": "team", "value": "billing"}]));
    l.avn(&["service", "tags", "replace", "db1", "--tag", "a=1"]).code(0);
    assert_eq!(
        l.avn(&["service", "tags", "list", "db1", "--json"]).code(0).json(),
        serde_json::json!([{"key": "a", "value": "1"}])
    );
    let r = l.avn(&["service", "tags", "update", "db1", "--add-tag", "novalue"]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    // The maintenance window is stored and shown; a wrong one is refused before any request.
    l.avn(&["service", "update", "db1", "--maintenance-dow", "monday", "--maintenance-time", "03:30:00"]).code(0);
    let m = &l.service("db1")["maintenance"];
    assert_eq!((m["dow"].as_str(), m["time"].as_str()), (Some("monday"), Some("03:30:00")));
    l.avn(&["service", "update", "db1", "--maintenance-time", "04:00:00"]).code(0);
    assert_eq!(l.service("db1")["maintenance"]["dow"], "monday", "the day stays");
    assert_eq!(l.avn(&["service", "update", "db1", "--maintenance-time", "25:00:00"]).code, 2);
    assert_eq!(l.avn(&["service", "update", "db1", "--maintenance-dow", "funday"]).code, 2);

    // Connection details, as the official client prints them.
    let info = l.avn(&["service", "connection-info", "pg", "uri", "db1"]).code(0).stdout.trim().to_string();
    assert_eq!(info, uri, "the service's URI");
    assert_eq!(one(&info, "SELECT current_user"), "avnadmin");
    let port = l.service("db1")["service_uri_params"]["port"].as_str().unwrap().to_string();
    assert_eq!(
        l.avn(&["service", "connection-info", "pg", "string", "db1"]).code(0).stdout,
        format!("host='127.0.0.1' port='{port}' user=avnadmin dbname='defaultdb'\n")
    );
    assert_eq!(l.avn(&["service", "connection-info", "psql", "db1"]).code(0).stdout, format!("psql {uri}\n"));
    let r = l.avn(&["service", "connection-info", "pg", "uri", "db1", "-u", "nobody"]);
    assert!(r.code != 0 && r.stderr.contains("nobody"), "{}", r.stderr);

    // The shell: psql, the certificate checked, the password in its environment only, and
    // no API token passed on.
    let r = l.avn(&[
        "service",
        "cli",
        "db1",
        "--",
        "-XAtc",
        "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    ]);
    assert_eq!(r.code(0).stdout, "avnadmin|t\n");
    let r = l.avn(&[
        "service",
        "cli",
        "db1",
        "--",
        "-XAtc",
        "\\! env; echo; printf 'psql-args: '; tr '\\0' ' ' < /proc/$PPID/cmdline",
    ]);
    let out = &r.code(0).stdout;
    assert!(out.contains("PGPASSWORD="), "the password goes through the environment");
    assert!(!out.contains("AIVEN_AUTH_TOKEN") && !out.contains(&l.token), "the token is not passed on");
    let password = l.service("db1")["service_uri_params"]["password"].as_str().unwrap().to_string();
    let args_line = out.lines().find(|x| x.starts_with("psql-args: ")).expect(out);
    assert!(!args_line.contains(&password) && args_line.contains("sslmode=verify-full"), "{args_line}");
}
