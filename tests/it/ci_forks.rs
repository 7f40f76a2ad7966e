//! Forks for CI against avn local: the URI handed over (`--env-file`, `--json`), adoption and
//! refresh in place (`--if-not-exists`, `--replace`), and two jobs racing.

use std::process::Command;

use serde_json::Value;

use crate::local_support::*;
use crate::support::Run;

/// Run `avn ARGS` twice at once (two CI jobs); both outputs.
fn race(l: &Local, args: &[&str]) -> (Run, Run) {
    let spawn = || {
        let mut c: Command = l.cmd(args);
        c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    };
    let (a, b) = (spawn(), spawn());
    (a.wait_with_output().unwrap().into(), b.wait_with_output().unwrap().into())
}

#[test]
fn a_ci_copy_is_handed_over_adopted_refreshed_in_place_and_raced_for() {
    let l = Local::start();
    let work = tempfile::tempdir().unwrap();
    let env = work.path().join(".env");
    std::fs::write(&env, "APP=1\n").unwrap();
    l.avn(&["service", "create", "prod", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    l.avn(&["service", "create", "other", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let prod = l.uri("prod");
    sql(&prod, "CREATE TABLE t (v text); INSERT INTO t VALUES ('first')").unwrap();
    let env_arg = format!("{}:PG_URL", env.display());

    // The first run creates the copy, writes the env file, and reports everything as data.
    let fork = |extra: &[&str]| -> Value {
        let mut args = vec!["service", "fork", "prod", "stage", "--expires-in", "1d", "--json", "--timeout", "120"];
        args.extend(extra);
        let r = l.avn(&args);
        r.code(0).json()
    };
    let v = fork(&["--if-not-exists", "--env-file", &env_arg]);
    assert_eq!(v["fork"]["outcome"], "created");
    let uri = v["service_uri"].as_str().unwrap().to_string();
    assert!(!uri.contains("****"), "--json prints the URI as the API gives it");
    assert_eq!(std::fs::read_to_string(&env).unwrap(), format!("APP=1\nPG_URL={uri}\n"));
    assert_eq!(one(&uri, "SELECT string_agg(v, ',') FROM t"), "first");
    let expires = v["fork"]["expires_at"].as_str().unwrap().to_string();
    assert_eq!(v["tags"]["avn_expires_at"], expires.as_str());
    let first_created = v["create_time"].as_str().unwrap().to_string();

    // A retried job adopts it.
    let v = fork(&["--if-not-exists"]);
    assert_eq!(v["fork"]["outcome"], "adopted");
    assert_eq!(v["create_time"], first_created.as_str());

    // --replace: refused without --yes and without a terminal, before anything changes.
    sql(&prod, "INSERT INTO t VALUES ('second')").unwrap();
    let r = l.avn(&["service", "fork", "prod", "stage", "--replace"]);
    assert!(r.code(2).stderr.contains("--yes"), "{}", r.stderr);
    assert_eq!(l.service("stage")["create_time"], first_created.as_str());
    // Refused when NEW is not a fork of SOURCE, or is protected.
    let r = l.avn(&["service", "fork", "other", "stage", "--replace", "--yes"]);
    assert!(r.code(2).stderr.contains("is not a fork of 'other'"), "{}", r.stderr);
    l.avn(&["service", "update", "stage", "--enable-termination-protection"]).code(0);
    let r = l.avn(&["service", "fork", "prod", "stage", "--replace", "--yes"]);
    assert!(r.code(2).stderr.contains("termination protection"), "{}", r.stderr);
    l.avn(&["service", "update", "stage", "--disable-termination-protection"]).code(0);
    assert_eq!(l.service("stage")["create_time"], first_created.as_str());

    // --replace --yes: a fresh fork under the same name, with the old expiry, and the new data.
    let r = l.avn(&["service", "fork", "prod", "stage", "--replace", "--yes", "--json", "--timeout", "120"]);
    let v = r.code(0).json();
    assert_eq!(v["fork"]["outcome"], "replaced");
    assert_ne!(v["create_time"], first_created.as_str());
    assert_eq!(v["tags"]["avn_expires_at"], expires.as_str(), "the expiry carries over");
    assert_eq!(one(v["service_uri"].as_str().unwrap(), "SELECT string_agg(v, ',' ORDER BY v) FROM t"), "first,second");

    // `service get --env-file -`: only VAR=URI on stdout, for >> "$GITHUB_ENV".
    let r = l.avn(&["service", "get", "stage", "--env-file", "-"]);
    assert_eq!(r.code(0).stdout, format!("DATABASE_URL={}\n", v["service_uri"].as_str().unwrap()));

    // Two jobs at once, --if-not-exists: one fork, and both report it.
    let (a, b) = race(&l, &["service", "fork", "prod", "ci-1", "--if-not-exists", "--json", "--timeout", "120"]);
    let (a, b) = (a.code(0).json(), b.code(0).json());
    assert_eq!(a["create_time"], b["create_time"], "{a}\n{b}");
    let outcomes = [a["fork"]["outcome"].as_str().unwrap(), b["fork"]["outcome"].as_str().unwrap()];
    assert!(outcomes.contains(&"created") && outcomes.contains(&"adopted"), "{outcomes:?}");
    // Two jobs at once, --replace: one fresh fork, and both report it.
    let before = a["create_time"].as_str().unwrap().to_string();
    let (a, b) = race(&l, &["service", "fork", "prod", "ci-1", "--replace", "--yes", "--json", "--timeout", "120"]);
    let (a, b) = (a.code(0).json(), b.code(0).json());
    assert_eq!(a["create_time"], b["create_time"], "{a}\n{b}");
    assert_ne!(a["create_time"], before.as_str());
    let names: Vec<String> = l
        .avn(&["service", "list", "--json"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_name"].as_str().unwrap().to_string())
        .filter(|n| n == "ci-1")
        .collect();
    assert_eq!(names.len(), 1);
}

/// The README's masking file, verbatim.
fn readme_mask_sql() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("```sql\n-- mask.sql").expect("README has the mask.sql example") + "```sql\n".len();
    readme[start..][..readme[start..].find("```").unwrap()].to_string()
}

#[test]
fn run_sql_sanitises_the_copy_or_leaves_none() {
    let l = Local::start();
    let work = tempfile::tempdir().unwrap();
    l.avn(&["service", "create", "prod", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let prod = l.uri("prod");
    sql(
        &prod,
        "CREATE TABLE users (id int, email text, full_name text); CREATE TABLE sessions (token text); \
        INSERT INTO users VALUES (1, 'ada@real.example', 'Ada L'), (2, 'bob@real.example', 'Bob T'); \
        INSERT INTO sessions VALUES ('secret')",
    )
    .unwrap();
    let mask = work.path().join("mask.sql");
    std::fs::write(&mask, readme_mask_sql()).unwrap();
    let mask_arg = mask.to_str().unwrap();

    // The README's example: the copy has no real addresses, the source keeps them.
    let r = l.avn(&[
        "service",
        "fork",
        "prod",
        "pr-1",
        "--if-not-exists",
        "--run-sql",
        mask_arg,
        "--json",
        "--timeout",
        "120",
    ]);
    let v = r.code(0).json();
    assert_eq!(v["fork"]["sql_ran"][0]["file"], mask_arg);
    let copy = v["service_uri"].as_str().unwrap().to_string();
    assert_eq!(
        one(&copy, "SELECT string_agg(email, ',' ORDER BY id) FROM users"),
        "user1@example.invalid,user2@example.invalid"
    );
    assert_eq!(one(&copy, "SELECT count(*) FROM sessions"), "0");
    assert_eq!(one(&prod, "SELECT string_agg(email, ',' ORDER BY id) FROM users"), "ada@real.example,bob@real.example");
    // A retried job adopts it and does not run the same file twice.
    let r = l.avn(&["service", "fork", "prod", "pr-1", "--if-not-exists", "--run-sql", mask_arg]);
    assert!(r.code(0).stderr.contains("already ran"), "{}", r.stderr);

    // FILE@DB runs in another database of the copy.
    sql(&prod, "CREATE DATABASE app").unwrap();
    let app = prod.replace("/defaultdb", "/app");
    sql(&app, "CREATE TABLE people (email text); INSERT INTO people VALUES ('eve@real.example')").unwrap();
    let people = work.path().join("people.sql");
    std::fs::write(&people, "UPDATE people SET email = 'someone@example.invalid';\n").unwrap();
    let r = l.avn(&[
        "service",
        "fork",
        "prod",
        "pr-5",
        "--run-sql",
        &format!("{}@app", people.display()),
        "--json",
        "--timeout",
        "120",
    ]);
    let v = r.code(0).json();
    assert_eq!(v["fork"]["sql_ran"][0]["database"], "app");
    let copy_app = v["service_uri"].as_str().unwrap().replace("/defaultdb", "/app");
    assert_eq!(one(&copy_app, "SELECT email FROM people"), "someone@example.invalid");
    assert_eq!(one(&app, "SELECT email FROM people"), "eve@real.example");

    // A failing file: rolled back, the copy terminated, exit 1 with the file, line and error.
    let bad = work.path().join("bad.sql");
    std::fs::write(&bad, "UPDATE users SET email = 'x';\nUPDATE users SET emial = 'y';\n").unwrap();
    let r = l.avn(&["service", "fork", "prod", "pr-2", "--run-sql", bad.to_str().unwrap(), "--timeout", "120"]);
    r.code(1);
    assert!(r.stderr.contains("bad.sql failed at line 2") && r.stderr.contains("emial"), "{}", r.stderr);
    assert!(r.stderr.contains("'pr-2' was terminated"), "{}", r.stderr);
    assert_eq!(l.avn(&["service", "get", "pr-2"]).code, 1, "no unsanitised copy is left");
    // An adopted copy that earlier files sanitised is never terminated for a failing new file.
    let r = l.avn(&["service", "fork", "prod", "pr-1", "--if-not-exists", "--run-sql", bad.to_str().unwrap()]);
    assert!(r.code(1).stderr.contains("was not made by this run"), "{}", r.stderr);
    l.avn(&["service", "get", "pr-1"]).code(0);
    // --keep-on-failure keeps it, with the failed file's changes rolled back.
    let r = l.avn(&[
        "service",
        "fork",
        "prod",
        "pr-3",
        "--run-sql",
        bad.to_str().unwrap(),
        "--keep-on-failure",
        "--timeout",
        "120",
    ]);
    assert!(r.code(1).stderr.contains("was kept"), "{}", r.stderr);
    assert_eq!(
        one(&l.uri("pr-3"), "SELECT string_agg(email, ',' ORDER BY id) FROM users"),
        "ada@real.example,bob@real.example"
    );
    // A file that cannot be read is refused before anything is created.
    let r = l.avn(&["service", "fork", "prod", "pr-4", "--run-sql", "/no/such.sql"]);
    r.code(2);
    assert_eq!(l.avn(&["service", "get", "pr-4"]).code, 1);
}
