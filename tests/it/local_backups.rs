//! Backups and the WAL archive of the local control plane: reflink clones on XFS, packed backups
//! and compressed old WAL, a damaged newest backup, a partial segment left in the archive.

use std::time::Duration;

use crate::local_support::*;

#[test]
fn a_partial_segment_left_in_the_archive_never_blocks_archiving() {
    let l = Local::start();
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let (inst, _port, admin) = l.instance("src");
    // Some WAL first, so that the current position is inside a segment (not at its boundary).
    sql(&admin, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)").unwrap();
    let segment = sql(&admin, "SELECT pg_walfile_name(pg_current_wal_lsn())").unwrap()[0][0].clone();
    // What a crash or a full disk leaves behind half-way through archiving this segment.
    let archive = inst.join("archive");
    let partial = archive.join(format!("{segment}.partial"));
    std::fs::write(&partial, b"half a segment").unwrap();
    sql(&admin, "INSERT INTO t VALUES (2)").unwrap();
    sql(&admin, "SELECT pg_switch_wal()").unwrap();
    /// What the archive holds, read when the wait times out.
    struct Archive<'a>(&'a str, &'a std::path::Path);
    impl std::fmt::Display for Archive<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let names: Vec<_> = std::fs::read_dir(self.1).unwrap().map(|e| e.unwrap().file_name()).collect();
            write!(f, "archiving of {} (stuck? the archive holds {names:?})", self.0)
        }
    }
    wait_until(Archive(&segment, &archive), Duration::from_secs(30), || {
        (archive.join(&segment).exists() && !partial.exists()).then_some(())
    });
    assert_eq!(std::fs::metadata(archive.join(&segment)).unwrap().len(), 16 * 1024 * 1024, "the whole segment");
}

/// A loop-mounted XFS image (reflinks), removed when dropped.
struct XfsDisk {
    path: std::path::PathBuf,
    image: std::path::PathBuf,
}

impl XfsDisk {
    fn mount(gb: u64) -> Result<XfsDisk, String> {
        let base = std::env::temp_dir().join(format!("avn-xfs-{}", std::process::id()));
        let (image, path) = (base.with_extension("img"), base);
        let run = |cmd: &str, args: &[&std::ffi::OsStr]| {
            std::process::Command::new(cmd).args(args).output().map_err(|e| format!("{cmd}: {e}")).and_then(|o| {
                if o.status.success() {
                    Ok(())
                } else {
                    Err(format!("{cmd}: {}", String::from_utf8_lossy(&o.stderr).trim()))
                }
            })
        };
        std::fs::File::create(&image).and_then(|f| f.set_len(gb << 30)).map_err(|e| e.to_string())?;
        run("mkfs.xfs", &["-q".as_ref(), "-f".as_ref(), "-m".as_ref(), "reflink=1".as_ref(), image.as_os_str()])
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&image);
            })?;
        std::fs::create_dir_all(&path).map_err(|e| e.to_string())?;
        if let Err(e) = run("mount", &["-o".as_ref(), "loop".as_ref(), image.as_os_str(), path.as_os_str()]) {
            let _ = std::fs::remove_dir(&path);
            let _ = std::fs::remove_file(&image);
            return Err(e);
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
        Ok(XfsDisk { path, image })
    }
}

impl Drop for XfsDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
        let _ = std::fs::remove_file(&self.image);
    }
}

#[test]
fn on_a_filesystem_with_reflinks_backups_are_clones_and_forks_restore_exactly() {
    let disk = match XfsDisk::mount(4) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("SKIPPED: no XFS with reflinks here ({why})");
            return;
        }
    };
    let l = Local::start_in(tempfile::tempdir_in(&disk.path).unwrap());
    let status = l.avn(&["local", "status", "--data-dir", l.data_dir().to_str().unwrap(), "--json"]).json();
    assert_eq!(status["copy_method"], "reflink", "{status}");
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("src");
    // The first base backup (an online clone here) holds the table as of now.
    sql(&uri, "CREATE TABLE t (id int, batch text); INSERT INTO t SELECT g, 'early' FROM generate_series(1, 500) g")
        .unwrap();
    l.wait_first_backup("src");
    let backup = l.instance("src").0.join("base");
    let label = std::fs::read_dir(&backup).unwrap().next().unwrap().unwrap().path().join("backup_label");
    assert!(std::fs::read_to_string(label).unwrap().contains("START WAL LOCATION"), "an online clone's label");
    // Not synchronisation: the pauses put time between the commits and the instant.
    std::thread::sleep(Duration::from_millis(500));
    let between = jiff::Timestamp::now();
    std::thread::sleep(Duration::from_millis(500));
    sql(&uri, "INSERT INTO t SELECT g, 'late' FROM generate_series(1, 300) g").unwrap();
    l.avn(&["service", "fork", "src", "latest", "--timeout", "120"]).code(0);
    l.avn(&["service", "fork", "src", "early", "--pitr", &between.to_string(), "--timeout", "120"]).code(0);
    assert_eq!(batches(&l.uri("latest")), "early|500 late|300");
    assert_eq!(batches(&l.uri("early")), "early|500");
    // A page changed after a clone copies 8 KiB, not XFS's default 128 KiB extent: the data
    // files of services and forks ask for small copy-on-write extents.
    for name in ["src", "latest", "early"] {
        let data = l.instance(name).0.join("data");
        let table = one(&l.uri(name), "SELECT pg_relation_filepath('t')");
        for f in [data.join("PG_VERSION"), data.join(table)] {
            let out = std::process::Command::new("xfs_io").args(["-c", "cowextsize"]).arg(&f).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.starts_with("[8192]"), "{name}: {}: {text}", f.display());
        }
    }
}

/// Files under `dir` (recursively) whose name ends with `suffix`.
fn files_ending(dir: &std::path::Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_ending(&p, suffix));
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
    out
}

#[test]
fn packed_backups_and_compressed_old_wal_restore_an_old_instant_exactly() {
    use std::os::unix::fs::MetadataExt;
    // A base backup after every 16 MiB of WAL, so a test can make a second one.
    let l = Local::start_with(tempfile::tempdir().unwrap(), vec![("AVN_LOCAL_BACKUP_WAL_MB".into(), "16".into())]);
    let status = l.avn(&["local", "status", "--data-dir", l.data_dir().to_str().unwrap(), "--json"]).json();
    if status["copy_method"] == "reflink" {
        eprintln!("SKIPPED: backups here are reflink clones, not packed");
        return;
    }
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("src");
    let backups = || l.avn(&["service", "backup-list", "src", "--json"]).json().as_array().unwrap().len();
    l.wait_first_backup("src");
    let (root, _, _) = l.instance("src");
    assert_eq!(files_ending(&root.join("base"), "avn-backup.json").len(), 1, "the first backup is packed");
    sql(&uri, "CREATE TABLE t (id int, batch text); INSERT INTO t SELECT g, 'early' FROM generate_series(1, 500) g")
        .unwrap();
    // Not synchronisation: the pauses put time between the commits and the instant.
    std::thread::sleep(Duration::from_millis(500));
    let between = jiff::Timestamp::now();
    std::thread::sleep(Duration::from_millis(500));
    // About 40 MiB of WAL after the instant: a second base backup follows, and the WAL from
    // before it (the instant's) is compressed.
    sql(&uri, "INSERT INTO t SELECT g, 'late' FROM generate_series(1, 300) g; CREATE TABLE pad AS SELECT g, repeat(md5(g::text), 8) AS p FROM generate_series(1, 120000) g")
        .unwrap();
    wait_until(l.with_log("a second backup and compressed WAL"), Duration::from_secs(90), || {
        (backups() >= 2 && !files_ending(&root.join("archive"), ".zst").is_empty()).then_some(())
    });
    // The second backup shares the files that did not change with the first.
    let shared =
        files_ending(&root.join("base"), ".zst").iter().filter(|p| std::fs::metadata(p).unwrap().nlink() > 1).count();
    assert!(shared > 100, "blobs shared by hard links: {shared}");
    // A point-in-time fork to the instant restores the first (packed) backup and replays the
    // compressed WAL, staged for it; the latest fork needs neither.
    l.avn(&["service", "fork", "src", "early", "--pitr", &between.to_string(), "--timeout", "120"]).code(0);
    l.avn(&["service", "fork", "src", "latest", "--timeout", "120"]).code(0);
    assert_eq!(batches(&l.uri("early")), "early|500");
    assert_eq!(batches(&l.uri("latest")), "early|500 late|300");
    assert_eq!(one(&l.uri("latest"), "SELECT count(*) FROM pad"), "120000");
    assert!(l.log().contains("compressed WAL segments decompressed for the restore"), "{}", l.log());
    // Where backups are packed, a fork to the latest transaction of a running source copies it
    // as it runs (faster than unpacking); one to an instant restores the backup.
    let line = |fork: &str, how: &str| l.log().lines().any(|x| x.contains(how) && x.contains(&format!("fork={fork} ")));
    assert!(line("latest", "forking from an online copy"), "{}", l.log());
    assert!(line("early", "forking from a base backup"), "{}", l.log());
    let (early_root, _, _) = l.instance("early");
    assert!(!early_root.join("wal-staged").exists(), "the staged WAL is removed once the fork runs");
}

/// Issue 18, item 8: a point-in-time fork whose newest usable base backup is damaged falls back
/// to an older backup that still covers the target, says so, and restores exactly.
#[test]
fn a_damaged_newest_backup_falls_back_to_an_older_one_that_covers_the_target() {
    use std::os::unix::fs::MetadataExt;
    let l = Local::start_with(tempfile::tempdir().unwrap(), vec![("AVN_LOCAL_BACKUP_WAL_MB".into(), "16".into())]);
    let status = l.avn(&["local", "status", "--data-dir", l.data_dir().to_str().unwrap(), "--json"]).json();
    if status["copy_method"] == "reflink" {
        eprintln!("SKIPPED: backups here are reflink clones, not packed");
        return;
    }
    l.avn(&["service", "create", "src", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("src");
    let backups = || l.avn(&["service", "backup-list", "src", "--json"]).json().as_array().unwrap().clone();
    l.wait_first_backup("src");
    sql(&uri, "CREATE TABLE t (id int, batch text); INSERT INTO t SELECT g, 'early' FROM generate_series(1, 500) g; CREATE TABLE pad AS SELECT g, repeat(md5(g::text), 8) AS p FROM generate_series(1, 120000) g")
        .unwrap();
    wait_until(l.with_log("a second backup"), Duration::from_secs(90), || (backups().len() >= 2).then_some(()));
    sql(&uri, "INSERT INTO t SELECT g, 'late' FROM generate_series(1, 300) g").unwrap();
    // Not synchronisation: the pauses put time between the commits and the instant.
    std::thread::sleep(Duration::from_millis(500));
    let after = jiff::Timestamp::now();
    std::thread::sleep(Duration::from_millis(500));
    sql(&uri, "INSERT INTO t SELECT g, 'too late' FROM generate_series(1, 7) g").unwrap();
    // Damage a blob of the newest backup that it shares with no other backup.
    let list = backups();
    let newest = list.iter().max_by_key(|b| b["backup_time"].as_str().unwrap().to_string()).unwrap();
    let (root, _, _) = l.instance("src");
    let dir = root.join("base").join(newest["backup_name"].as_str().unwrap());
    let own = files_ending(&dir, ".zst")
        .into_iter()
        .filter(|p| std::fs::metadata(p).unwrap().nlink() == 1)
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a blob of its own");
    let bytes = std::fs::read(&own).unwrap();
    std::fs::write(&own, &bytes[..bytes.len() / 2]).unwrap();
    let r = l.avn(&["service", "fork", "src", "pitr", "--pitr", &after.to_string(), "--timeout", "120"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, l.log());
    assert_eq!(batches(&l.uri("pitr")), "early|500 late|300");
    assert_eq!(one(&l.uri("pitr"), "SELECT count(*) FROM pad"), "120000");
    assert!(l.log().contains("falling back to the older backup"), "{}", l.log());
}
