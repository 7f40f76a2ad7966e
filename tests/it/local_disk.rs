//! A full disk on the local control plane (a small tmpfs; root only): a fork that fills it fails
//! briefly and cleans up, one that cannot fit is refused up front, a service stopped by it restarts.

use std::time::Duration;

use crate::local_support::*;

/// A small tmpfs mounted for one test, unmounted when dropped (root only).
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(mb: u64) -> Option<SmallDisk> {
        // One mount point per disk: tests that run at once never share one.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("avn-small-disk-{}-{mb}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m,mode=0755"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { path })
    }

    /// Fill the disk but for `leave` bytes; returns the filler file (remove it to free them).
    fn fill_leaving(&self, leave: u64) -> std::path::PathBuf {
        let filler = self.path.join("filler");
        let st = std::process::Command::new("fallocate")
            .args(["-l", &(self.free().saturating_sub(leave)).to_string()])
            .arg(&filler)
            .status()
            .unwrap();
        assert!(st.success());
        filler
    }

    fn free(&self) -> u64 {
        let out = std::process::Command::new("df").args(["--output=avail", "-B1"]).arg(&self.path).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().trim().parse().unwrap()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

#[test]
fn a_full_disk_fails_a_fork_briefly_removes_its_copy_and_archiving_resumes_after() {
    let Some(disk) = SmallDisk::mount(400) else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    };
    // The up-front space check is off here: this is the disk that fills up during a fork.
    let l = Local::start_with(
        tempfile::tempdir_in(&disk.path).unwrap(),
        vec![("AVN_LOCAL_FORK_SPACE_CHECK".into(), "off".into())],
    );
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("src");
    sql(&uri, "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g").unwrap();
    // Fill the disk until a copy of the source's base backup no longer fits.
    // Room for the source's own WAL and archive, not for another copy of its base backup.
    let base = std::fs::read_dir(l.data_dir().join("instances"))
        .unwrap()
        .map(|e| e.unwrap().path().join("base"))
        .find(|p| p.exists())
        .unwrap();
    let out = std::process::Command::new("du").args(["-sb"]).arg(&base).output().unwrap();
    let backup: u64 = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().parse().unwrap();
    let keep = (backup * 6 / 10).max(40 * 1024 * 1024);
    eprintln!("base backups: {backup} bytes; leaving {keep} bytes free");
    let filler = disk.fill_leaving(keep);
    let r = l.avn(&["service", "fork", "src", "f1", "--timeout", "120"]);
    r.code(1);
    assert!(r.stderr.len() < 2000, "a short error, not one line per file: {} bytes\n{}", r.stderr.len(), r.stderr);
    assert!(r.stderr.contains("No space left on device") || r.stderr.contains("space"), "{}", r.stderr);
    // The failed fork says so in the list, with its notification, until it is terminated.
    let listed = l.avn(&["service", "list", "--json"]).code(0).json();
    let f1 = listed.as_array().unwrap().iter().find(|s| s["service_name"] == "f1").unwrap().clone();
    assert_eq!(f1["state"], "FAILED", "{f1}");
    assert!(f1["service_notifications"].to_string().contains("fork failed"), "{f1}");
    // The failed fork's partial copy is gone at once; the source still serves.
    let instances = l.data_dir().join("instances");
    let dirs: Vec<String> =
        std::fs::read_dir(&instances).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    assert!(dirs.iter().all(|d| !d.starts_with("f1-")), "{dirs:?}");
    assert_eq!(sql(&uri, "SELECT count(*) FROM t").unwrap()[0][0], "1000");
    // Space is freed: archiving goes on, and a fork now holds every row, including new ones.
    std::fs::remove_file(&filler).unwrap();
    l.avn(&["service", "terminate", "f1", "--force"]).code(0);
    sql(&uri, "INSERT INTO t SELECT g FROM generate_series(1001, 2000) g").unwrap();
    l.avn(&["service", "fork", "src", "f2", "--timeout", "120"]).code(0);
    assert_eq!(sql(&l.uri("f2"), "SELECT count(*) FROM t").unwrap()[0][0], "2000");
    drop(l);
    drop(disk);
}

/// Issue 18, item 6: a fork, or a rename's, that cannot fit on the disk is refused before
/// anything is created, and a rename before it stops writes.
#[test]
fn a_fork_that_cannot_fit_is_refused_before_anything_changes() {
    let Some(disk) = SmallDisk::mount(400) else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    };
    let l = Local::start_in(tempfile::tempdir_in(&disk.path).unwrap());
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("src");
    sql(&uri, "CREATE TABLE t AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 100000) g").unwrap();
    l.wait_first_backup("src");
    // Leave 40 MiB: less than a copy of the source needs.
    let filler = disk.fill_leaving(40 << 20);
    let v = l.service("src");
    assert!(v["avn_local_disk"]["fork_needs_bytes"].as_u64() > v["avn_local_disk"]["free_bytes"].as_u64(), "{v}");
    for args in [
        vec!["service", "fork", "src", "f1", "--timeout", "120"],
        vec!["service", "fork", "src", "f1", "--dry-run"],
        vec!["service", "rename", "src", "f1", "--yes"],
    ] {
        let r = l.avn(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("not enough free disk"), "{args:?}: {}", r.stderr);
    }
    assert_eq!(l.avn(&["service", "list", "--format", "{service_name}"]).stdout, "src\n");
    sql(&uri, "INSERT INTO t VALUES (0, 'still writable')").unwrap();
    assert!(l.service("src")["tags"].as_object().is_none_or(|t| !t.contains_key("avn_rename")));
    // The control plane refuses it too, whoever asks.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let c = l.client();
    let body = avn_api::ServiceCreate {
        service_name: "f2".into(),
        service_type: "pg".into(),
        plan: "startup-4".into(),
        cloud: Some("local".into()),
        user_config: serde_json::json!({"service_to_fork_from": "src"}).as_object().unwrap().clone(),
        ..Default::default()
    };
    let e = rt.block_on(c.service_create("local", &body)).unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
    // Space is back: the fork goes through.
    std::fs::remove_file(&filler).unwrap();
    l.avn(&["service", "fork", "src", "f1", "--timeout", "120"]).code(0);
    assert_eq!(sql(&l.uri("f1"), "SELECT count(*) FROM t").unwrap()[0][0], "100001");
    drop(l);
    drop(disk);
}

/// Issue 18, item 6: a service that stopped for lack of space, and could not start again while
/// the disk was full, comes back by itself once space is freed.
#[test]
fn a_service_stopped_by_a_full_disk_restarts_by_itself_when_space_is_back() {
    let Some(disk) = SmallDisk::mount(300) else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    };
    let l = Local::start_in(tempfile::tempdir_in(&disk.path).unwrap());
    l.avn(&["service", "create", "db", "-t", "pg", "-p", "hobbyist", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("db");
    sql(&uri, "CREATE TABLE t (x int); INSERT INTO t VALUES (7)").unwrap();
    let (inst, _, _) = l.instance("db");
    // The disk fills up, and the server dies (a PANIC writing WAL, as a kill -9 stands in for).
    let filler = disk.fill_leaving(0);
    let _ = sql(&uri, "INSERT INTO t SELECT g FROM generate_series(1, 200000) g");
    let pid = std::fs::read_to_string(inst.join("data/postmaster.pid"))
        .ok()
        .and_then(|t| t.lines().next().map(str::to_string));
    if let Some(pid) = pid {
        std::process::Command::new("kill").args(["-9", pid.trim()]).status().unwrap();
    }
    wait_until(l.with_log("a notification that the start is tried again"), Duration::from_secs(60), || {
        let v = l.avn(&["service", "get", "db", "--json"]).json();
        v["service_notifications"].to_string().contains("trying again in").then_some(())
    });
    std::fs::remove_file(&filler).unwrap();
    wait_until(l.with_log("db to be RUNNING again"), Duration::from_secs(120), || {
        (l.avn(&["service", "get", "db", "--json"]).json()["state"] == "RUNNING").then_some(())
    });
    wait_running(&l, &["db"]);
    assert_eq!(sql(&l.uri("db"), "SELECT x FROM t WHERE x = 7").unwrap()[0][0], "7");
    drop(l);
    drop(disk);
}

/// The same for MySQL: a fork that fills the disk fails, its copy goes, the source serves on,
/// and once space is back a fork holds every row.
#[test]
fn a_full_disk_fails_a_mysql_fork_and_leaves_the_source_serving() {
    let Some(disk) = SmallDisk::mount(400) else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    };
    let l = Local::start_with(
        tempfile::tempdir_in(&disk.path).unwrap(),
        vec![("AVN_LOCAL_FORK_SPACE_CHECK".into(), "off".into())],
    );
    l.avn(&["service", "create", "src", "-t", "mysql", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    l.wait_first_backup("src");
    let my = crate::local_mysql::My::admin(&l, "src");
    my.one("CREATE TABLE t (id INT PRIMARY KEY)");
    my.one("INSERT INTO t SELECT seq FROM seq_1_to_1000");
    // Room for the source's binary logs, not for a copy of its data directory.
    let filler = disk.fill_leaving(40 << 20);
    let r = l.avn(&["service", "fork", "src", "f1", "--timeout", "120"]);
    r.code(1);
    assert!(r.stderr.len() < 2000, "a short error: {} bytes\n{}", r.stderr.len(), r.stderr);
    let listed = l.avn(&["service", "list", "--json"]).code(0).json();
    let f1 = listed.as_array().unwrap().iter().find(|s| s["service_name"] == "f1").unwrap().clone();
    assert_eq!(f1["state"], "FAILED", "{f1}");
    let dirs: Vec<String> = std::fs::read_dir(l.data_dir().join("instances"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(dirs.iter().all(|d| !d.starts_with("f1-")), "{dirs:?}");
    std::fs::remove_file(&filler).unwrap();
    wait_running(&l, &["src"]);
    assert_eq!(crate::local_mysql::My::admin(&l, "src").one("SELECT count(*) FROM t"), "1000");
    l.avn(&["service", "terminate", "f1", "--force"]).code(0);
    my.one("INSERT INTO t SELECT seq FROM seq_1001_to_2000");
    l.avn(&["service", "fork", "src", "f2", "--timeout", "120"]).code(0);
    assert_eq!(crate::local_mysql::My::admin(&l, "f2").one("SELECT count(*) FROM t"), "2000");
    drop(l);
    drop(disk);
}

#[test]
fn a_standby_that_cannot_fit_is_not_built_and_the_primary_keeps_serving() {
    let Some(disk) = SmallDisk::mount(400) else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    };
    let l = Local::start_with(tempfile::tempdir_in(&disk.path).unwrap(), vec![]);
    l.avn(&["service", "create", "ha", "-t", "mysql", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let my = crate::local_mysql::My::admin(&l, "ha");
    my.one("CREATE TABLE t (id INT PRIMARY KEY)");
    my.one("INSERT INTO t SELECT seq FROM seq_1_to_1000");
    // Room for the primary's writes, not for a copy of its data directory.
    let filler = disk.fill_leaving(40 << 20);
    // A plan with a standby node: its build is refused, nothing of a copy is left, and the
    // primary keeps taking writes.
    l.avn(&["service", "update", "ha", "--plan", "business-4"]).code(0);
    crate::support::wait_until(l.with_log("the standby build refused"), Duration::from_secs(60), || {
        l.log().contains("not enough disk for a standby copy").then_some(())
    });
    let s = l.service("ha");
    assert_eq!(s["node_states"][1]["state"], "syncing_data", "{s}");
    assert!(!s["components"].as_array().unwrap().iter().any(|c| c["usage"] == "replica"), "{s}");
    let (inst, _, _) = l.instance("ha");
    assert!(!inst.join("standby-1/data").exists() && !inst.join("standby-1/data.partial").exists());
    my.one("INSERT INTO t SELECT seq FROM seq_1001_to_2000");
    // Space is back: the standby is built and holds every row.
    std::fs::remove_file(&filler).unwrap();
    crate::support::wait_until(l.with_log("the standby built once space is back"), Duration::from_secs(120), || {
        (l.service("ha")["node_states"][1]["state"] == "running").then_some(())
    });
    let port = crate::local_mysql::replica_port(&l, "ha").unwrap();
    let standby = crate::local_mysql::My { port, ..crate::local_mysql::My::admin(&l, "ha") };
    assert_eq!(standby.one("SELECT count(*) FROM t"), "2000");
    drop(l);
    drop(disk);
}

/// A Caching service on a full disk: a snapshot cannot be written, so a fork from a fresh one is
/// refused before it is created and leaves nothing; the server refuses writes rather than take
/// ones it cannot keep, serves reads, and takes writes again soon after space is back.
#[test]
fn a_full_disk_fails_a_caching_snapshot_and_writes_resume_when_space_is_back() {
    let Some(disk) = SmallDisk::mount(300) else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    };
    let l = Local::start_with(
        tempfile::tempdir_in(&disk.path).unwrap(),
        vec![("AVN_LOCAL_FORK_SPACE_CHECK".into(), "off".into())],
    );
    l.avn(&["service", "create", "cache", "-t", "valkey", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    l.wait_first_backup("cache");
    crate::local_valkey::internal(&l, "cache", &["DEBUG", "POPULATE", "300000", "key", "100"]);
    let v = crate::local_valkey::Vk::admin(&l, "cache");
    let filler = disk.fill_leaving(2 << 20);
    let r = l.avn(&["service", "fork", "cache", "f1", "--latest-snapshot", "--timeout", "120"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("cannot take a snapshot of 'cache'"), "{}", r.stderr);
    assert!(l.avn(&["service", "get", "f1"]).code != 0, "nothing was created");
    let inst = crate::local_valkey::instance(&l, "cache");
    let left: Vec<String> = std::fs::read_dir(inst.join("base"))
        .unwrap()
        .chain(std::fs::read_dir(inst.join("data")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".partial") || n.starts_with("temp-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let e = v.cmd(&["SET", "x", "1"]).unwrap_err();
    assert!(e.contains("MISCONF"), "{e}");
    assert_eq!(v.one(&["GET", "key:1"]).len(), 100, "reads go on");
    // Stopped now, it would lose what it holds beyond its last snapshot: the power-off is refused.
    let r = l.avn(&["service", "update", "cache", "--power-off"]);
    assert!(r.code != 0 && r.stderr.contains("cannot save a snapshot now"), "{}", r.stderr);
    assert_eq!(l.service("cache")["state"], "RUNNING");
    std::fs::remove_file(&filler).unwrap();
    crate::support::wait_until(l.with_log("writes to resume"), Duration::from_secs(60), || {
        v.cmd(&["SET", "x", "1"]).ok().filter(|o| o == "OK")
    });
    let r = l.avn(&["service", "fork", "cache", "f2", "--latest-snapshot", "--timeout", "120"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(crate::local_valkey::Vk::admin(&l, "f2").one(&["DBSIZE"]), "300001");
    drop(l);
    drop(disk);
}
