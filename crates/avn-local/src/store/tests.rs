//! Tests of `store`.

use super::*;

#[test]
fn services_round_trip_and_names_are_unique_per_project() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("state.db")).unwrap();
    assert!(s.create_project("p", "t").unwrap());
    assert!(!s.create_project("p", "t").unwrap());
    let rec = ServiceRec {
        id: "i1".into(),
        project: "p".into(),
        name: "db".into(),
        plan: "startup-4".into(),
        state: State::Rebuilding,
        powered: true,
        port: 5000,
        password: "pw".into(),
        user_config: Map::new(),
        termination_protection: false,
        create_time: "t".into(),
        update_time: "t".into(),
        op: Some(Op::Fork),
        fork: Some(ForkOrigin {
            source_id: "i0".into(),
            source_project: "p".into(),
            source_service: "src".into(),
            target: Some("2026-11-21T05:20:38.5Z".parse().unwrap()),
            backup: None,
        }),
        tags: Default::default(),
        service_type: "pg".into(),
    };
    assert!(s.insert_service(&rec).unwrap());
    assert!(!s.insert_service(&ServiceRec { id: "i2".into(), ..rec.clone() }).unwrap());
    assert_eq!(s.service("p", "db").unwrap().unwrap(), rec);
    s.add_backup(&BackupRec {
        service_id: "i1".into(),
        backup_name: "b".into(),
        backup_time: "t".into(),
        data_size: 1,
    })
    .unwrap();
    s.delete_service("i1").unwrap();
    assert!(s.service("p", "db").unwrap().is_none());
    assert!(s.backups("i1").unwrap().is_empty());
    use std::os::unix::fs::PermissionsExt;
    for f in ["state.db", "state.db-wal", "state.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
}
