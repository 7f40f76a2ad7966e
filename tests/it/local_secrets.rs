//! Secrets stay where they belong: no child process of the local control plane inherits its
//! environment (issue 18, item 7).

use crate::local_support::*;

/// Processes (other than `except`) whose environment holds `needle`, as `pid: cmdline`.
fn environ_holding(needle: &str, except: &[u32]) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| !except.contains(pid) && *pid != std::process::id())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .map(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .unwrap_or(false)
        })
        .map(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            format!("{pid}: {}", String::from_utf8_lossy(&cmd).replace('\0', " "))
        })
        .collect()
}

#[test]
fn no_child_of_the_control_plane_inherits_its_token() {
    let canary = format!("avn-canary-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let l = Local::start_with(
        dir,
        vec![("AIVEN_AUTH_TOKEN".into(), canary.clone()), ("PGPASSWORD".into(), canary.clone())],
    );
    let server = l.server.as_ref().unwrap().id();
    // A service with backups, so the archiver (archive_command) and a base backup run too, and a
    // fork, so a restore_command runs.
    l.avn(&["service", "create", "db", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    sql(&l.uri("db"), "CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g").unwrap();
    l.avn(&["service", "fork", "db", "db2", "--timeout", "120"]).code(0);
    assert!(l.postmasters() >= 2, "both servers run");
    // What the control plane starts for the fork (restore, archiving, its first base backup) has run.
    l.wait_first_backup("db2");
    let leaks = environ_holding(&canary, &[server]);
    assert!(leaks.is_empty(), "processes that inherited the token: {leaks:?}");
    // ...while the control plane itself was given it (the check can see a leak).
    assert_eq!(environ_holding(&canary, &[]).len(), 1, "only the server holds it");
}
