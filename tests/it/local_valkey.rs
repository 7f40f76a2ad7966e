//! Caching (`valkey`) services on the local control plane, for real (redis-server 7.0): TLS with
//! the project's CA, ACL users, options, snapshot backups, forks that hold exactly the snapshot's
//! keys, values, expiry times and users, and renames that lose no acknowledged write. Data is
//! read with `redis-cli`, the password passed in its environment.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::local_support::*;

/// A login to a service: its port, a user and password, and the project's CA.
#[derive(Clone)]
pub struct Vk {
    pub port: String,
    pub user: String,
    pub password: String,
    pub ca: PathBuf,
}

impl Vk {
    /// The `default` user's login of service `name`.
    pub fn admin(l: &Local, name: &str) -> Vk {
        let s = l.service(name);
        let p = &s["service_uri_params"];
        Vk {
            port: p["port"].as_str().unwrap().to_string(),
            user: p["user"].as_str().unwrap().to_string(),
            password: p["password"].as_str().unwrap().to_string(),
            ca: l.data_dir().join("ca/ca.crt"),
        }
    }

    /// Run one command with `redis-cli` over TLS, verifying the server against the project's CA.
    pub fn cmd(&self, args: &[&str]) -> Result<String, String> {
        let out = std::process::Command::new("redis-cli")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("REDISCLI_AUTH", &self.password)
            .args(["--tls", "--cacert"])
            .arg(&self.ca)
            .args(["-h", "127.0.0.1", "-p", &self.port, "--user", &self.user, "--no-auth-warning"])
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        // redis-cli prints a server's error on stdout and exits 0 when it is not a TTY.
        const ERRORS: [&str; 8] =
            ["ERR", "NOPERM", "WRONGPASS", "NOAUTH", "WRONGTYPE", "LOADING", "READONLY", "MISCONF"];
        if !out.status.success() || ERRORS.iter().any(|e| text.starts_with(e)) || err.contains("AUTH failed") {
            Err(format!("{text}{err}"))
        } else if text.starts_with("(error)") {
            Err(text)
        } else {
            Ok(text)
        }
    }

    pub fn one(&self, args: &[&str]) -> String {
        self.cmd(args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }
}

/// The instance directory of a service (its configuration file names its port).
pub fn instance(l: &Local, name: &str) -> PathBuf {
    let port = l.service(name)["service_uri_params"]["port"].as_str().unwrap().to_string();
    std::fs::read_dir(l.data_dir().join("instances"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            std::fs::read_to_string(p.join("redis.conf")).unwrap_or_default().contains(&format!("tls-port {port}\n"))
        })
        .expect("the instance of the service")
}

/// A command as the control plane's own user, on the server's socket (the tests run as root).
pub fn internal(l: &Local, name: &str, args: &[&str]) -> String {
    let inst = instance(l, name);
    let pw = std::fs::read_to_string(inst.join("admin.pw")).unwrap();
    let out = std::process::Command::new("redis-cli")
        .env_clear()
        .env("REDISCLI_AUTH", pw.trim())
        .arg("-s")
        .arg(inst.join("run/redis.sock"))
        .args(["--user", "avn_admin", "--no-auth-warning"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// redis-server processes working in this control plane's directories.
fn redis_servers(l: &Local) -> Vec<i32> {
    let root = std::fs::canonicalize(l.data_dir()).unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<i32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
            String::from_utf8_lossy(&cmd).contains("redis-server") && cwd.is_some_and(|c| c.starts_with(&root))
        })
        .collect()
}

fn create(l: &Local, name: &str, extra: &[&str]) {
    let mut args = vec!["service", "create", name, "-t", "valkey", "--plan", "startup-4"];
    args.extend(extra);
    l.avn(&args).code(0);
    wait_running(l, &[name]);
}

/// Every key with its value and remaining time to live (none: -1), by `SCAN` (strings and
/// hashes).
fn dump(v: &Vk) -> BTreeMap<String, (String, i64)> {
    let keys = v.one(&["--scan"]);
    let value = |k: &str| match v.one(&["TYPE", k]).as_str() {
        "string" => v.one(&["GET", k]),
        "hash" => v.one(&["HGETALL", k]),
        other => panic!("{k} is a {other}"),
    };
    keys.lines()
        .filter(|k| !k.is_empty())
        .map(|k| (k.to_string(), (value(k), v.one(&["PTTL", k]).parse().unwrap())))
        .collect()
}

#[test]
fn a_caching_service_is_real_with_tls_acl_users_and_its_options() {
    let l = Local::start();
    create(&l, "cache", &["-c", "valkey_maxmemory_policy=allkeys-lru"]);
    let s = l.service("cache");
    assert_eq!(s["service_type"], "valkey");
    let uri = s["service_uri"].as_str().unwrap();
    assert!(uri.starts_with("rediss://default:") && uri.contains("@127.0.0.1:"), "{uri}");
    assert_eq!(s["service_uri_params"]["user"], "default");
    assert_eq!(s["connection_info"]["valkey"][0], uri);
    assert!(s["service_type_description"].as_str().unwrap().contains("redis-server 7.0"), "{s}");
    assert_eq!(s["users"][0]["username"], "default");
    assert_eq!(s["users"][0]["type"], "primary");
    assert_eq!(s["users"][0]["access_control"]["valkey_acl_keys"], serde_json::json!(["*"]));
    let types = l.avn(&["service", "types"]).code(0).stdout.clone();
    assert!(types.lines().any(|t| t.starts_with("valkey") && t.contains("redis-server")), "{types}");
    // `redis`, the older name, is accepted and stored as valkey.
    l.avn(&["service", "create", "old-name", "-t", "redis", "--plan", "hobbyist"]).code(0);
    assert_eq!(l.service("old-name")["service_type"], "valkey");

    // TLS only, verified against the project's CA; a wrong password and the plain port refused.
    let admin = Vk::admin(&l, "cache");
    assert_eq!(admin.one(&["PING"]), "PONG");
    let wrong = Vk { password: "not-it".into(), ..admin.clone() };
    let e = wrong.cmd(&["PING"]).unwrap_err();
    assert!(e.contains("WRONGPASS") || e.contains("AUTH failed"), "{e}");
    let plain = std::process::Command::new("redis-cli")
        .env("REDISCLI_AUTH", &admin.password)
        .args(["-h", "127.0.0.1", "-p", &admin.port, "--no-auth-warning", "PING"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("PONG"), "a plain-text session was served");
    // What would take the server from the control plane is not the service's to run.
    for args in
        [&["CONFIG", "SET", "dir", "/tmp"][..], &["ACL", "SETUSER", "x", "on"], &["DEBUG", "DIGEST"], &["SHUTDOWN"]]
    {
        let e = admin.cmd(args).unwrap_err();
        assert!(e.contains("NOPERM"), "{args:?}: {e}");
    }
    // The option is applied to the server itself.
    assert_eq!(internal(&l, "cache", &["CONFIG", "GET", "maxmemory-policy"]), "maxmemory-policy\nallkeys-lru");
    l.avn(&["service", "update", "cache", "-c", "valkey_maxmemory_policy=volatile-ttl", "-c", "valkey_timeout=120"])
        .code(0);
    wait_running(&l, &["cache"]);
    assert_eq!(internal(&l, "cache", &["CONFIG", "GET", "maxmemory-policy"]), "maxmemory-policy\nvolatile-ttl");
    assert_eq!(internal(&l, "cache", &["CONFIG", "GET", "timeout"]), "timeout\n120");
    let r = l.avn(&["service", "update", "cache", "-c", "valkey_persistence=aof"]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    // ACL users, for real, with the official client's flags.
    l.avn(&[
        "service",
        "user-create",
        "cache",
        "--username",
        "app",
        "--valkey-acl-keys",
        "app:*",
        "--valkey-acl-categories",
        "+@all -@dangerous",
        "--valkey-acl-channels",
        "news",
    ])
    .code(0);
    let pw =
        l.avn(&["service", "user-get", "cache", "--username", "app", "--format", "{password}"]).code(0).stdout.clone();
    let app = Vk { user: "app".into(), password: pw.trim().to_string(), ..admin.clone() };
    assert_eq!(app.one(&["SET", "app:1", "x"]), "OK");
    assert!(app.cmd(&["SET", "other:1", "x"]).unwrap_err().contains("NOPERM"));
    assert!(app.cmd(&["KEYS", "*"]).unwrap_err().contains("NOPERM"), "-@dangerous");
    let list = l.avn(&["service", "user-list", "cache"]).code(0).stdout.clone();
    assert!(list.contains("app:*") && list.contains("+@all, -@dangerous") && list.contains("news"), "{list}");
    let bad = l.avn(&["service", "user-create", "cache", "--username", "bad", "--valkey-acl-categories", "all"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("+@category"), "{}", bad.stderr);
    assert!(l.avn(&["service", "user-create", "cache", "--username", "avn_admin"]).code != 0);
    // set-access-control changes the rules and keeps the password.
    l.avn(&["service", "user-set-access-control", "cache", "--username", "app", "--valkey-acl-keys", "other:*"])
        .code(0);
    assert_eq!(app.one(&["SET", "other:1", "x"]), "OK");
    assert!(app.cmd(&["SET", "app:2", "x"]).unwrap_err().contains("NOPERM"));
    // A new password: the old one stops working at once; then the user goes.
    l.avn(&["service", "user-password-reset", "cache", "--username", "app"]).code(0);
    assert!(app.cmd(&["PING"]).is_err(), "the old password still works");
    l.avn(&["service", "user-delete", "cache", "--username", "app"]).code(0);
    assert!(!internal(&l, "cache", &["ACL", "USERS"]).contains("app"));
    assert!(l.avn(&["service", "user-delete", "cache", "--username", "default"]).code != 0);
    // The ACL file holds no password in clear.
    let acl = std::fs::read_to_string(instance(&l, "cache").join("data/users.acl")).unwrap();
    assert!(!acl.contains(&admin.password) && acl.contains("user default on #"), "{acl}");
    // Caching has no SQL: named databases and query statistics are refused with a reason.
    let r = l.avn(&["service", "database-create", "cache", "--dbname", "x"]);
    assert!(r.code != 0 && r.stderr.contains("numbered"), "{}", r.stderr);
    let r = l.avn(&["service", "current-queries", "cache"]);
    assert!(r.code != 0 && r.stderr.contains("CLIENT LIST"), "{}", r.stderr);

    // Powered off and on: the data is saved as it stops (persistence rdb) and back after.
    admin.one(&["SET", "kept", "1"]);
    l.avn(&["service", "update", "cache", "--power-off"]).code(0);
    assert!(redis_servers(&l).len() == 1, "only old-name's server runs");
    l.avn(&["service", "update", "cache", "--power-on"]).code(0);
    wait_running(&l, &["cache"]);
    assert_eq!(Vk::admin(&l, "cache").one(&["GET", "kept"]), "1");
    // Persistence turned off: the snapshot left from before is not loaded at the next start.
    l.avn(&["service", "update", "cache", "-c", "valkey_persistence=off"]).code(0);
    wait_running(&l, &["cache"]);
    l.avn(&["service", "update", "cache", "--power-off"]).code(0);
    l.avn(&["service", "update", "cache", "--power-on"]).code(0);
    wait_running(&l, &["cache"]);
    assert_eq!(Vk::admin(&l, "cache").one(&["GET", "kept"]), "", "a stale snapshot was loaded");
    l.avn(&["service", "update", "cache", "-c", "valkey_persistence=rdb"]).code(0);
    wait_running(&l, &["cache"]);
    // `service cli` runs redis-cli (valkey-cli where installed) over TLS verified against the
    // project's CA, the password in its environment.
    let mut cli = l.cmd(&["service", "cli", "cache"]);
    cli.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cli.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"SET via-cli yes\nGET via-cli\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK\nyes", "{}", String::from_utf8_lossy(&out.stderr));
    // The server's own log, as entries.
    let logs = l.avn(&["service", "logs", "cache", "-n", "50"]).code(0).stdout.clone();
    assert!(logs.contains("Ready to accept connections"), "{logs}");
}

#[test]
fn caching_forks_hold_exactly_their_snapshot_with_ttls_and_acl_users() {
    let l = Local::start();
    create(&l, "src", &[]);
    l.wait_first_backup("src");
    let v = Vk::admin(&l, "src");
    v.one(&["SET", "before", "old"]);
    l.avn(&["service", "user-create", "src", "--username", "reader", "--valkey-acl-categories", "+@read"]).code(0);
    let reader_pw =
        l.avn(&["service", "user-get", "src", "--username", "reader", "--format", "{password}"]).code(0).stdout.clone();

    // A fresh snapshot first: everything written so far, TTLs running.
    for i in 0..200 {
        v.one(&["SET", &format!("k:{i}"), &format!("value {i}")]);
    }
    v.one(&["SET", "short", "s", "PX", "600000"]);
    v.one(&["HSET", "h", "f", "1"]);
    let r = l.avn(&["service", "fork", "src", "snap", "--latest-snapshot"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, l.log());
    assert!(r.stderr.contains("Took a fresh snapshot of 'src'"), "{}", r.stderr);
    let snap = l.service("snap");
    let backup = avn_api::ForkKeys::read(snap["user_config"].as_object().unwrap()).basebackup.unwrap();
    assert!(r.stderr.contains(&format!("restored to backup {backup}")), "{}", r.stderr);
    // Writes after the snapshot are not in the fork.
    v.one(&["SET", "after", "new"]);
    let (a, b) = (dump(&v), dump(&Vk::admin(&l, "snap")));
    assert_eq!(b.len() + 1, a.len(), "{b:?}");
    for (k, (val, ttl)) in &b {
        let (src_val, src_ttl) = &a[k];
        assert_eq!(val, src_val, "{k}");
        if *src_ttl < 0 {
            assert_eq!(*ttl, -1, "{k} has no expiry on the source");
        } else {
            // The same expiry instant: what is left can only have shrunk since.
            assert!(*ttl > 0 && *ttl <= 600_000 && (ttl - src_ttl).abs() < 60_000, "{k}: {ttl} vs {src_ttl}");
        }
    }
    assert!(!b.contains_key("after"));
    assert_eq!(Vk::admin(&l, "snap").one(&["HGET", "h", "f"]), "1");
    // Its ACL users came along, with their rules and passwords.
    let reader = Vk { user: "reader".into(), password: reader_pw.trim().to_string(), ..Vk::admin(&l, "snap") };
    assert_eq!(reader.one(&["GET", "before"]), "old");
    assert!(reader.cmd(&["SET", "x", "1"]).unwrap_err().contains("NOPERM"));

    // Without a name: the newest backup, as on Aiven, and the output says which.
    let newest = l.avn(&["service", "backup-list", "src", "--json"]).code(0).json();
    let newest_name = newest.as_array().unwrap().last().unwrap()["backup_name"].as_str().unwrap().to_string();
    let r = l.avn(&["service", "fork", "src", "plain"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("Restoring backup {newest_name}, the newest")), "{}", r.stderr);
    assert!(Vk::admin(&l, "plain").cmd(&["GET", "after"]).unwrap().is_empty());

    // A named backup through `service create`, as Aiven's documentation does it.
    let first = newest.as_array().unwrap()[0]["backup_name"].as_str().unwrap().to_string();
    let r = l.avn(&[
        "service",
        "create",
        "named",
        "-t",
        "valkey",
        "--plan",
        "startup-4",
        "-c",
        "service_to_fork_from=src",
        "-c",
        &format!("recovery_basebackup_name={first}"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    wait_running(&l, &["named"]);
    assert_eq!(Vk::admin(&l, "named").one(&["DBSIZE"]), "0", "the first backup was taken before any key");
    let r = l.avn(&["service", "fork", "src", "nope", "--backup", "backup-19700101t000000000000z"]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    // Refused before anything is created: an instant, SQL files, and a source without persistence.
    let r = l.avn(&["service", "fork", "src", "x1", "--pitr", "-1m"]);
    assert!(r.code == 2 && r.stderr.contains("--backup"), "{}", r.stderr);
    let sql_file = l.dir.path().join("seed.sql");
    std::fs::write(&sql_file, "SELECT 1;").unwrap();
    let r = l.avn(&["service", "fork", "src", "x2", "--run-sql", sql_file.to_str().unwrap()]);
    assert!(r.code == 2 && r.stderr.contains("--run-sql"), "{}", r.stderr);
    create(&l, "volatile", &["-c", "valkey_persistence=off"]);
    let backups = l.avn(&["service", "backup-list", "volatile", "--json"]).code(0).json();
    assert_eq!(backups, serde_json::json!([]), "persistence off keeps no backups");
    let r = l.avn(&["service", "fork", "volatile", "x3"]);
    assert!(r.code == 2 && r.stderr.contains("can't be forked"), "{}", r.stderr);
    // Against the API itself (the official client's way), with Aiven's reason.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut body = avn_api::ServiceCreate {
        service_name: "x4".into(),
        service_type: "valkey".into(),
        plan: "startup-4".into(),
        ..Default::default()
    };
    body.user_config.insert("service_to_fork_from".into(), Value::from("volatile"));
    let e = rt.block_on(l.client().service_create("local", &body)).unwrap_err();
    assert!(e.to_string().contains("can't be forked"), "{e}");
    body.user_config.insert("service_to_fork_from".into(), Value::from("src"));
    body.user_config.insert("recovery_target_time".into(), Value::from("2026-01-01 00:00:00"));
    let e = rt.block_on(l.client().service_create("local", &body)).unwrap_err();
    assert!(e.to_string().contains("recovery_target_time"), "{e}");
    for name in ["x1", "x2", "x3", "x4"] {
        assert!(l.avn(&["service", "get", name]).code != 0, "{name} was created");
    }
    // A service without persistence loses its data at a restart, as on Aiven.
    let vol = Vk::admin(&l, "volatile");
    vol.one(&["SET", "gone", "1"]);
    l.avn(&["service", "update", "volatile", "--power-off"]).code(0);
    l.avn(&["service", "update", "volatile", "--power-on"]).code(0);
    wait_running(&l, &["volatile"]);
    assert_eq!(Vk::admin(&l, "volatile").one(&["DBSIZE"]), "0");
}

/// `service rename` of a Caching service on avn local, under a live writer: avn local takes the
/// write commands from its users, ends their connections and writes the fence key; a snapshot
/// taken after it is forked; NEW holds every acknowledged write and the same digest; OLD is
/// deleted; NEW takes writes.
#[test]
fn a_caching_rename_under_live_writes_loses_no_acknowledged_write() {
    let l = Local::start();
    create(&l, "shop", &[]);
    l.wait_first_backup("shop");
    l.avn(&["service", "user-create", "shop", "--username", "app"]).code(0);
    let pw =
        l.avn(&["service", "user-get", "shop", "--username", "app", "--format", "{password}"]).code(0).stdout.clone();
    let writer_login = Vk { user: "app".into(), password: pw.trim().to_string(), ..Vk::admin(&l, "shop") };
    let admin = Vk::admin(&l, "shop");
    admin.one(&["SET", "ttl", "t", "EX", "86400"]);
    // Keys that expire while the rename runs, on one side before the other: left out of the
    // comparison, which must not fail on them.
    for i in 0..60 {
        admin.one(&["SET", &format!("soon:{i}"), "x", "PX", &(200 + i * 50).to_string()]);
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let writer = std::thread::spawn(move || {
        let (mut acked, mut refused) = (vec![], vec![]);
        let mut id = 0;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            id += 1;
            match writer_login.cmd(&["SET", &format!("w:{id}"), &id.to_string()]) {
                Ok(out) if out == "OK" => acked.push(id),
                // redis-cli prints nothing when its connection is ended before the reply.
                Ok(out) if out.is_empty() => refused.push("no reply: the connection was ended".into()),
                Ok(out) => refused.push(out),
                Err(e) if e.is_empty() => refused.push("no reply: the connection was ended".into()),
                Err(e) => refused.push(e),
            }
        }
        (acked, refused)
    });
    std::thread::sleep(Duration::from_millis(800));
    let env_file = l.dir.path().join("app.env");
    std::fs::write(&env_file, format!("REDIS_URL={}\n", l.uri("shop"))).unwrap();
    let spec = format!("{}:REDIS_URL", env_file.display());
    let r = l.avn(&["service", "rename", "shop", "shop-v2", "--yes", "--repoint-env", &spec]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (acked, refused) = writer.join().unwrap();
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, l.log());
    assert!(r.stderr.contains("writes stopped on 'shop'") && r.stderr.contains("digests equal"), "{}", r.stderr);
    assert!(acked.len() > 5, "the writer wrote {} keys", acked.len());
    // Refused: no write permission any more, a connection ended, or no server (OLD deleted).
    assert!(
        refused
            .iter()
            .all(|e| e.contains("NOPERM") || e.contains("onnect") || e.contains("I/O error") || e.contains("no reply")),
        "{refused:?}"
    );
    let new = Vk::admin(&l, "shop-v2");
    for id in &acked {
        assert_eq!(new.one(&["GET", &format!("w:{id}")]), id.to_string(), "write {id} was acknowledged but lost");
    }
    assert!(new.one(&["TTL", "ttl"]).parse::<i64>().unwrap() > 80_000);
    assert!(l.avn(&["service", "get", "shop"]).code != 0, "OLD was deleted");
    // NEW takes writes, from its users too, and holds no fence key.
    let app = Vk { user: "app".into(), password: pw.trim().to_string(), ..new.clone() };
    assert_eq!(app.one(&["SET", "after", "1"]), "OK");
    assert!(new.one(&["GET", "avn:rename-fence"]).is_empty(), "the fence was removed from NEW");
    let env = std::fs::read_to_string(&env_file).unwrap();
    assert!(env.contains(&format!(":{}", new.port)), "{env}");
}

/// A fork that does not hold the fence is never used: the rename rolls back, OLD's users get
/// their write commands back, the fence key goes, and NEW is deleted. A second rename at the same
/// time is refused by the first one's lease.
#[test]
fn a_failed_caching_rename_rolls_back_and_old_takes_writes_again() {
    let l = Local::start();
    create(&l, "db", &[]);
    l.wait_first_backup("db");
    let v = Vk::admin(&l, "db");
    v.one(&["SET", "a", "1"]);
    let r = l
        .cmd(&["service", "rename", "db", "db2", "--yes"])
        .env("FAILPOINTS", "rename-fork-loses-fence=return")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr).to_string();
    assert!(!r.status.success(), "{stderr}");
    assert!(stderr.contains("fence") && stderr.contains("undone: writes re-enabled on 'db'"), "{stderr}");
    assert_eq!(v.one(&["SET", "b", "2"]), "OK", "OLD takes writes again");
    assert!(v.one(&["GET", "avn:rename-fence"]).is_empty(), "the fence was removed from OLD");
    assert!(l.avn(&["service", "get", "db2"]).code != 0, "NEW was deleted");
    assert!(!l.service("db")["tags"].to_string().contains("avn_rename"), "the lease was released");

    // A stop survives a kill -9 of the server: the watchdog's restart keeps it.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = l.client();
    let change = avn_api::writes::WritesChange { stopped: true, fence: None, remove_fence: false, lease: None };
    rt.block_on(client.local_set_writes("local", "db", &change)).unwrap();
    assert!(v.cmd(&["SET", "c", "3"]).unwrap_err().contains("NOPERM"));
    assert_eq!(v.one(&["GET", "a"]), "1", "reads go on while writes are stopped");
    let pid = redis_servers(&l)[0];
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    crate::support::wait_until("the server restarted", Duration::from_secs(60), || {
        (redis_servers(&l).first().is_some_and(|p| *p != pid) && v.cmd(&["PING"]).is_ok()).then_some(())
    });
    assert!(v.cmd(&["SET", "c", "3"]).unwrap_err().contains("NOPERM"), "writes opened by a restart");
    let open = avn_api::writes::WritesChange { stopped: false, fence: None, remove_fence: false, lease: None };
    rt.block_on(client.local_set_writes("local", "db", &open)).unwrap();
    assert_eq!(v.one(&["SET", "c", "3"]), "OK");

    // Two renames of one service at once: one wins, the other changes nothing.
    let spawn = |new: &str| {
        let mut c = l.cmd(&["service", "rename", "db", new, "--yes"]);
        c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        c.spawn().unwrap()
    };
    let (a, b) = (spawn("db-a"), spawn("db-b"));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(
        a.status.success() != b.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    let (winner, loser) = if a.status.success() { ("db-a", "db-b") } else { ("db-b", "db-a") };
    // (`b` was written after the last snapshot and before the kill -9: RDB persistence keeps
    // what the last snapshot holds, as on Aiven.)
    let w = Vk::admin(&l, winner);
    assert_eq!((w.one(&["GET", "a"]), w.one(&["GET", "c"])), ("1".into(), "3".into()));
    assert!(l.avn(&["service", "get", loser]).code != 0);
}

#[test]
fn a_kill_9_of_the_control_plane_mid_fork_redoes_it_with_exactly_its_keys() {
    let mut l = Local::start();
    create(&l, "big", &[]);
    // Enough keys that loading the fork's snapshot takes a while.
    internal(&l, "big", &["DEBUG", "POPULATE", "1000000", "key", "64"]);
    let digest = internal(&l, "big", &["DEBUG", "DIGEST"]);
    let before = redis_servers(&l);
    l.avn(&["service", "fork", "big", "big-copy", "--latest-snapshot", "--no-wait"]).code(0);
    crate::support::wait_until(l.with_log("the fork to start loading"), Duration::from_secs(120), || {
        let s = l.avn(&["service", "get", "big-copy", "--json"]).json();
        let phases = s["node_states"][0]["progress_updates"].as_array().cloned().unwrap_or_default();
        phases.iter().any(|p| p["phase"] == "finalize").then_some(())
    });
    l.kill9();
    l.spawn_server();
    wait_running(&l, &["big-copy"]);
    assert_eq!(internal(&l, "big-copy", &["DBSIZE"]), "1000000");
    assert_eq!(internal(&l, "big-copy", &["DEBUG", "DIGEST"]), digest);
    // The source's server was adopted, not restarted; one server per service.
    let after = redis_servers(&l);
    assert!(before.iter().all(|p| after.contains(p)), "{before:?} {after:?}");
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(l.log().contains("redoing"), "{}", l.log());
}

/// The CI options on a Caching fork: `--if-not-exists` adopts the fork a first run made (from
/// the newest backup, or a fresh snapshot), `--expires-in` sets its expiry, `--env-file` gets its
/// URI, and `--replace` forks it again from a fresh snapshot.
#[test]
fn caching_forks_take_the_ci_options() {
    let l = Local::start();
    create(&l, "src", &[]);
    l.wait_first_backup("src");
    Vk::admin(&l, "src").one(&["SET", "a", "1"]);
    // A dry run says what it would do and takes no snapshot.
    let before = l.avn(&["service", "backup-list", "src", "--json"]).code(0).json();
    let r = l.avn(&["service", "fork", "src", "dry", "--latest-snapshot", "--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("take a fresh snapshot") || r.stderr.contains("take a fresh snapshot"), "{}", r.stderr);
    assert_eq!(l.avn(&["service", "backup-list", "src", "--json"]).code(0).json(), before);
    assert!(l.avn(&["service", "get", "dry"]).code != 0);
    let env_file = l.dir.path().join("ci.env");
    let spec = format!("{}:REDIS_URL", env_file.display());
    let args = [
        "service",
        "fork",
        "src",
        "ci",
        "--latest-snapshot",
        "--if-not-exists",
        "--expires-in",
        "1h",
        "--env-file",
        &spec,
    ];
    let r = l.avn(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let env = std::fs::read_to_string(&env_file).unwrap();
    assert!(env.starts_with("REDIS_URL=rediss://default:"), "{env}");
    assert!(l.service("ci")["tags"]["avn_expires_at"].is_string());
    assert_eq!(Vk::admin(&l, "ci").one(&["GET", "a"]), "1");
    // Again: adopted, not forked again (and no snapshot taken first).
    let backups = l.avn(&["service", "backup-list", "src", "--json"]).code(0).json().as_array().unwrap().len();
    let created = l.service("ci")["create_time"].clone();
    let r = l.avn(&["service", "fork", "src", "ci", "--if-not-exists"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("already was a fork"), "{}", r.stderr);
    assert_eq!(l.service("ci")["create_time"], created);
    assert_eq!(l.avn(&["service", "backup-list", "src", "--json"]).code(0).json().as_array().unwrap().len(), backups);
    // Replaced: a new fork from a fresh snapshot, holding what was written since.
    Vk::admin(&l, "src").one(&["SET", "b", "2"]);
    let r = l.avn(&["service", "fork", "src", "ci", "--latest-snapshot", "--replace", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_ne!(l.service("ci")["create_time"], created);
    assert_eq!(Vk::admin(&l, "ci").one(&["GET", "b"]), "2");
}

/// `service wait` on a Caching service whose server declines TLS (a plain redis-server behind a
/// `rediss://` URI): it stops at once with the reason, and the password is never sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_caching_server_that_declines_tls_is_refused_at_once_without_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--requirepass", "not-for-the-wire", "--loglevel", "verbose"])
        .arg("--dir")
        .arg(dir.path())
        .arg("--logfile")
        .arg(dir.path().join("log"))
        .spawn()
        .unwrap();
    crate::support::wait_until("the plain server", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    let env = crate::support::Env::new().await;
    let uri = format!("rediss://default:not-for-the-wire@127.0.0.1:{port}");
    let service = serde_json::json!({"service_name": "cache", "service_type": "valkey", "plan": "startup-4",
        "cloud_name": "local", "state": "RUNNING", "create_time": "2026-01-01T00:00:00Z", "user_config": {},
        "service_uri": uri});
    env.mock("GET", "/v1/project/proj/service/cache", 200, serde_json::json!({"service": service})).await;
    // Exit 1 with the reason, not 3 (the wait's timeout).
    let r = env.run(&["service", "wait", "cache", "--timeout", "120"]);
    let _ = server.kill();
    let _ = server.wait();
    r.code(1);
    assert!(r.stderr.contains("does not offer TLS") && r.stderr.contains("no password was sent"), "{}", r.stderr);
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
    assert!(!log.contains("not-for-the-wire"), "{log}");
}

/// The delete step of a Caching rename deletes OLD only if no write command ran on it since it
/// was verified: keys expiring meanwhile never keep it, a write does.
#[test]
fn a_caching_rename_deletes_old_only_if_no_write_ran_since_it_was_verified() {
    let l = Local::start();
    for name in ["a", "b"] {
        create(&l, name, &[]);
        l.wait_first_backup(name);
        let v = Vk::admin(&l, name);
        v.one(&["SET", "k", "1"]);
        v.one(&["SET", "soon", "x", "PX", "1500"]);
        // Verified, then stopped (as by a crash) before the delete step.
        let r = l
            .cmd(&["service", "rename", name, &format!("{name}2"), "--yes"])
            .env("FAILPOINTS", "rename-before-delete=return(crash)")
            .output()
            .unwrap();
        assert!(!r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        assert!(String::from_utf8_lossy(&r.stderr).contains("digests equal"), "{}", String::from_utf8_lossy(&r.stderr));
    }
    // A key of OLD expires meanwhile: the rename finishes.
    std::thread::sleep(Duration::from_millis(2000));
    let r = l.avn(&["service", "rename", "a", "a2", "--resume", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(l.avn(&["service", "get", "a"]).code != 0, "OLD was deleted");
    // A write on OLD after it was verified (by the control plane's own user, which users cannot
    // be): OLD is kept.
    internal(&l, "b", &["SET", "late", "1"]);
    let r = l.avn(&["service", "rename", "b", "b2", "--resume", "--yes"]);
    assert!(r.code != 0 && r.stderr.contains("changed after it was verified"), "{}", r.stderr);
    assert_eq!(internal(&l, "b", &["GET", "late"]), "1", "OLD was kept");
}
