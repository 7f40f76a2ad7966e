//! `avn service fork` end to end on the local control plane (real PostgreSQL).

use std::time::Duration;

use serde_json::json;

use crate::local_support::*;

/// A source with batches t1, t2 (then a pause) and t3; returns the instant between t2 and t3.
fn source_with_batches(l: &Local) -> jiff::Timestamp {
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("src");
    sql(&uri, "CREATE TABLE t (id int, batch text); INSERT INTO t SELECT g, 't1' FROM generate_series(1, 10) g")
        .unwrap();
    sql(&uri, "INSERT INTO t SELECT g, 't2' FROM generate_series(1, 10) g").unwrap();
    // Not synchronisation: seconds between the commits and the instant, as the relative forms
    // ("5s ago") name it to the second.
    std::thread::sleep(Duration::from_millis(3000));
    let between = jiff::Timestamp::now();
    std::thread::sleep(Duration::from_millis(3000));
    sql(&uri, "INSERT INTO t SELECT g, 't3' FROM generate_series(1, 10) g").unwrap();
    between
}

fn names(l: &Local) -> Vec<String> {
    l.avn(&["service", "list", "--format", "{service_name}"]).code(0).stdout.lines().map(str::to_string).collect()
}

#[test]
fn every_time_form_restores_exactly_the_target() {
    let l = Local::start();
    let between = source_with_batches(&l);
    let utc = between.to_zoned(jiff::tz::TimeZone::UTC);
    // Relative forms are computed just before their command, so they name the same instant.
    let ago = move || (jiff::Timestamp::now().duration_since(between).as_millis() as f64 / 1000.0).round() as i64;
    type Form<'a> = (&'static str, Box<dyn Fn() -> String + 'a>);
    let forms: Vec<Form> = vec![
        ("rfc-z", Box::new(move || between.to_string())),
        (
            "rfc-offset",
            Box::new(move || {
                between
                    .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(2)))
                    .strftime("%Y-%m-%dT%H:%M:%S%.6f%:z")
                    .to_string()
            }),
        ),
        (
            "naive",
            Box::new(move || between.to_zoned(jiff::tz::TimeZone::UTC).strftime("%Y-%m-%d %H:%M:%S%.6f").to_string()),
        ),
        ("relative", Box::new(move || format!("-{}s", ago()))),
        ("ago", Box::new(move || format!("{}s ago", ago()))),
        ("unix", Box::new(move || format!("@{}", between.as_second()))),
    ];
    for (name, t) in &forms {
        let t = t();
        let r = l.avn(&["service", "fork", "src", name, "--pitr", &t, "--no-wait"]);
        r.code(0);
        assert!(r.stderr.contains("Recovery target: ") && r.stderr.contains(" ago)"), "{name}: {}", r.stderr);
    }
    let r = l.avn(&["service", "fork", "src", "latest", "--pitr", "latest", "--no-wait"]);
    assert!(r.code(0).stderr.contains("Recovery target: the latest transaction"));
    let mut all: Vec<&str> = forms.iter().map(|(n, _)| *n).collect();
    all.push("latest");
    let mut args = vec!["service", "wait"];
    args.extend(all.iter());
    args.extend(["--timeout", "180"]);
    l.avn(&args).code(0);
    for (name, _) in &forms {
        assert_eq!(batches(&l.uri(name)), "t1|10 t2|10", "fork {name}");
    }
    assert_eq!(batches(&l.uri("latest")), "t1|10 t2|10 t3|10");
    // the naive form says it was taken as UTC
    let r = l.avn(&[
        "service",
        "fork",
        "src",
        "naive2",
        "--pitr",
        &utc.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        "--dry-run",
    ]);
    assert!(r.code(0).stderr.contains("taken as UTC"), "{}", r.stderr);
}

#[test]
fn fork_waits_reports_and_prints_json() {
    let l = Local::start();
    source_with_batches(&l);
    l.avn(&["service", "create", "metrics", "-t", "pg", "-p", "hobbyist", "--wait", "--timeout", "120"]).code(0);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = l.client();
    let body = avn_api::IntegrationCreate {
        integration_type: "metrics".into(),
        source_service: Some("src".into()),
        dest_service: Some("metrics".into()),
        ..Default::default()
    };
    rt.block_on(client.integration_create("local", &body)).unwrap();

    // plain output: what was copied, what was not, the masked URI
    let r = l.avn(&["service", "fork", "src", "plain"]);
    r.code(0);
    assert!(r.stdout.starts_with("plain  pg  RUNNING  local  startup-4"), "{}", r.stdout);
    assert!(
        r.stderr.contains("Copied: databases (defaultdb), users (avnadmin), connection pools (none)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Not copied: integrations: metrics to metrics"), "{}", r.stderr);
    assert!(r.stderr.contains("Connect: postgres://avnadmin:********@127.0.0.1:"), "{}", r.stderr);
    assert!(r.stderr.contains("RUNNING, accepts connections"), "{}", r.stderr);
    assert!(!r.stdout.contains(&l.service("src")["service_uri_params"]["password"].as_str().unwrap().to_string()));

    // --json: the service plus a fork section; --copy-integrations recreates them
    let r = l.avn(&["service", "fork", "src", "copy", "--json", "--copy-integrations", "-p", "business-4"]);
    let v = r.code(0).json();
    assert_eq!(v["service_name"], "copy");
    assert_eq!(v["plan"], "business-4");
    assert_eq!(v["fork"]["source"], "src");
    assert_eq!(v["fork"]["target_time"], serde_json::Value::Null);
    assert_eq!(v["fork"]["copied"]["databases"], json!(["defaultdb"]));
    assert_eq!(v["fork"]["integrations_copied"][0]["ok"], true);
    assert_eq!(v["fork"]["not_copied"]["integrations"], json!([]));
    let i = l.avn(&["service", "integration-list", "copy", "--json"]).code(0).json();
    assert_eq!(i[0]["source_service"], "copy");
    assert_eq!(i[0]["dest_service"], "metrics");
    assert_eq!(batches(&l.uri("copy")), "t1|10 t2|10 t3|10");

    // create --fork-from takes the same checked path
    let r = l.avn(&[
        "service",
        "create",
        "viacreate",
        "--fork-from",
        "src",
        "--pitr",
        "latest",
        "--wait",
        "--timeout",
        "120",
    ]);
    r.code(0);
    assert_eq!(batches(&l.uri("viacreate")), "t1|10 t2|10 t3|10");
}

#[test]
fn refusals_create_nothing_and_ci_retries_are_idempotent() {
    let l = Local::start();
    source_with_batches(&l);
    l.avn(&["service", "create", "hobby", "-t", "pg", "-p", "hobbyist", "--wait", "--timeout", "120"]).code(0);
    let before = names(&l);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["ghost", "x1"], "does not exist"),
        (vec!["hobby", "x1"], "has no backups yet"),
        (vec!["src", "x1", "-p", "hobbyist"], "keeps no backups"),
        (vec!["src", "x1", "-p", "nope-9"], "does not exist for service type 'pg'"),
        (vec!["src", "x1", "--cloud", "aws-eu-west-1"], "not offered in cloud"),
        (vec!["src", "X_1"], "invalid service name"),
        (vec!["src", "hobby"], "already exists"),
        (vec!["src", "x1", "--pitr", "2020-01-01T00:00:00Z"], "outside the point-in-time recovery window"),
        (vec!["src", "x1", "--pitr", "2099-01-01T00:00:00Z"], "in the future"),
        (vec!["src", "x1", "--pitr", "last tuesday"], "invalid time"),
        (vec!["src", "x1", "--backup", "nope"], "has no backup named"),
        (vec!["src", "x1", "-t", "mysql"], "a fork has its source's type"),
        (vec!["src", "x1", "-c", "pg.nope=1"], "unknown option"),
    ];
    for (args, msg) in cases {
        let mut all = vec!["service", "fork"];
        all.extend(args.iter());
        let r = l.avn(&all);
        assert_eq!(r.code, 2, "{all:?}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{all:?}: expected '{msg}' in {}", r.stderr);
    }
    let r = l.avn(&["service", "fork", "src", "x1", "--pitr", "2020-01-01T00:00:00Z"]);
    assert!(r.stderr.contains("the window is "), "{}", r.stderr);
    let r = l.avn(&["service", "fork", "src", "x1", "--dry-run", "--json"]);
    let v = r.code(0).json();
    assert_eq!(v["request"]["body"]["user_config"]["service_to_fork_from"], "src");
    assert_eq!(v["request"]["method"], "POST");
    assert_eq!(names(&l), before, "no refused fork or dry run created anything");

    // --if-not-exists: a retried CI job adopts the first attempt's fork ...
    l.avn(&["service", "fork", "src", "ci", "--no-wait"]).code(0);
    let r = l.avn(&["service", "fork", "src", "ci", "--if-not-exists", "--timeout", "120"]);
    r.code(0);
    assert!(r.stderr.contains("adopting it"), "{}", r.stderr);
    // ... and refuses a name that belongs to something else
    let r = l.avn(&["service", "fork", "src", "hobby", "--if-not-exists"]);
    r.code(1);
    assert!(r.stderr.contains("is not a fork of 'src'") && r.stderr.contains("not a fork"), "{}", r.stderr);
    // timeout: exit 3 with the command to resume, which then succeeds
    let r = l.avn(&["service", "fork", "src", "slow", "--timeout", "0.01"]);
    r.code(3);
    assert!(r.stderr.contains("avn service wait slow"), "{}", r.stderr);
    l.avn(&["service", "wait", "slow", "--timeout", "120"]).code(0);
}

#[test]
fn cross_project_fork() {
    let l = Local::start();
    source_with_batches(&l);
    l.create_project("staging");
    let r = l.avn(&["service", "fork", "src", "copy", "--source-project", "local", "--project", "staging", "--json"]);
    let v = r.code(0).json();
    assert_eq!(v["user_config"]["project_to_fork_from"], "local");
    let uri = l.avn(&["service", "get", "copy", "--project", "staging", "--json", "--show-secrets"]).code(0).json()
        ["service_uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(batches(&uri), "t1|10 t2|10 t3|10");
    // adopting works across projects too
    l.avn(&["service", "fork", "src", "copy", "--source-project", "local", "--project", "staging", "--if-not-exists"])
        .code(0);
}
