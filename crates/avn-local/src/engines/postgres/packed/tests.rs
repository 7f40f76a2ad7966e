//! Packing and restoring, against real trees in temporary directories.

use std::sync::Arc;

use super::*;

/// Pack a plain backup (one with its `backup_label`).
fn pack(plain: &Path, dest: &Path, previous: Option<&Path>, threads: usize) -> std::io::Result<Packed> {
    let label = std::fs::read(plain.join("backup_label"))?;
    let files = pack_files(plain, dest, previous, threads, crate::engines::copy::all, false)?;
    finish(dest, files, &label, &[])
}

#[test]
fn an_online_pack_leaves_out_what_the_filter_drops_and_adds_the_label_and_wal_status() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    tree(&data, &big(1));
    std::fs::write(data.join("pg_wal/000000010000000000000001"), b"wal").unwrap();
    std::fs::remove_dir(data.join("pg_wal/archive_status")).unwrap();
    std::fs::write(data.join("backup_label"), b"stale label of another backup").unwrap();
    fn keep(p: &Path) -> bool {
        p != Path::new("backup_label") && (p == Path::new("pg_wal") || !p.starts_with("pg_wal"))
    }
    let packed = t.path().join("packed");
    let files = pack_files(&data, &packed, None, 2, keep, true).unwrap();
    let label = b"START WAL LOCATION: 0/9000028 (file 000000010000000000000009)\n";
    finish(&packed, files, label, &[("backup_label", label), ("tablespace_map", b"")]).unwrap();
    assert_eq!(std::fs::read(packed.join("backup_label")).unwrap(), label);
    let out = t.path().join("out");
    restored(&packed, &out);
    assert_eq!(std::fs::read(out.join("backup_label")).unwrap(), label);
    assert_eq!(std::fs::read(out.join("tablespace_map")).unwrap(), b"");
    assert!(out.join("pg_wal/archive_status").is_dir());
    assert!(!out.join("pg_wal/000000010000000000000001").exists());
    assert_eq!(std::fs::read(out.join("base/5/16396")).unwrap(), big(1));
}

fn tree(root: &Path, big: &[u8]) {
    std::fs::create_dir_all(root.join("base/5")).unwrap();
    std::fs::create_dir_all(root.join("pg_wal/archive_status")).unwrap();
    std::fs::write(root.join("base/5/16396"), big).unwrap();
    std::fs::write(root.join("base/5/16397"), b"small file").unwrap();
    std::fs::write(root.join("PG_VERSION"), b"15\n").unwrap();
    std::fs::write(root.join("backup_label"), b"START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n")
        .unwrap();
    std::fs::write(root.join("empty"), b"").unwrap();
    std::fs::set_permissions(root.join("PG_VERSION"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("/somewhere/else", root.join("link")).unwrap();
}

/// Three frames and a bit.
const BIG: usize = 3 * FRAME as usize + 1000;

fn big(seed: u8) -> Vec<u8> {
    (0..BIG as u32).map(|i| (i % 251) as u8 ^ (i / 4093) as u8 ^ seed).collect()
}

fn restored(packed: &Path, dest: &Path) -> u64 {
    let copied = Arc::new(AtomicU64::new(0));
    restore(packed, dest, &copied, 3).unwrap();
    copied.load(Ordering::Relaxed)
}

#[test]
fn a_packed_backup_restores_exactly_what_was_packed() {
    let t = tempfile::tempdir().unwrap();
    let plain = t.path().join("plain");
    tree(&plain, &big(0));
    let stats = pack(&plain, &t.path().join("packed"), None, 2).unwrap();
    assert_eq!(stats.raw, BIG as u64 + 10 + 3 + 62);
    assert!(stats.written < BIG as u64 / 10, "{stats:?}");
    let m = read_manifest(&t.path().join("packed")).unwrap();
    assert_eq!(m.entries.iter().find(|e| e.path == "base/5/16396").unwrap().frames.len(), 4);
    assert!(is_packed(&t.path().join("packed")));
    assert_eq!(raw_size(&t.path().join("packed")).unwrap(), stats.raw);
    assert!(std::fs::read_to_string(t.path().join("packed/backup_label")).unwrap().starts_with("START WAL"));
    let out = t.path().join("out");
    assert_eq!(restored(&t.path().join("packed"), &out), stats.raw);
    for f in ["base/5/16396", "base/5/16397", "PG_VERSION", "backup_label", "empty"] {
        assert_eq!(std::fs::read(out.join(f)).unwrap(), std::fs::read(plain.join(f)).unwrap(), "{f}");
    }
    assert!(out.join("pg_wal/archive_status").is_dir());
    assert_eq!(std::fs::read_link(out.join("link")).unwrap(), Path::new("/somewhere/else"));
    assert_eq!(std::fs::metadata(out.join("PG_VERSION")).unwrap().mode() & 0o777, 0o640);
}

#[test]
fn unchanged_files_are_shared_with_the_previous_backup_and_changed_ones_are_not() {
    let t = tempfile::tempdir().unwrap();
    let (p1, p2) = (t.path().join("plain1"), t.path().join("plain2"));
    tree(&p1, &big(0));
    let mut changed = big(0);
    changed[BIG - 1] ^= 1;
    tree(&p2, &changed);
    std::fs::write(p2.join("base/5/16397"), b"small File").unwrap();
    let (b1, b2) = (t.path().join("b1"), t.path().join("b2"));
    pack(&p1, &b1, None, 2).unwrap();
    let stats = pack(&p2, &b2, Some(&b1), 2).unwrap();
    assert_eq!(stats.shared, 3 + 62, "PG_VERSION and backup_label are shared: {stats:?}");
    // The first backup can go; the second still restores whole.
    std::fs::remove_dir_all(&b1).unwrap();
    let out = t.path().join("out");
    restored(&b2, &out);
    assert_eq!(std::fs::read(out.join("base/5/16396")).unwrap(), changed);
    assert_eq!(std::fs::read(out.join("base/5/16397")).unwrap(), b"small File");
}

#[test]
fn a_manifest_without_frames_restores_each_blob_as_one_stream() {
    let t = tempfile::tempdir().unwrap();
    let plain = t.path().join("plain");
    tree(&plain, &big(3));
    let packed = t.path().join("packed");
    pack(&plain, &packed, None, 2).unwrap();
    let mut m = read_manifest(&packed).unwrap();
    m.entries.iter_mut().for_each(|e| e.frames.clear());
    std::fs::write(packed.join(MANIFEST), serde_json::to_vec(&m).unwrap()).unwrap();
    let out = t.path().join("out");
    assert_eq!(restored(&packed, &out), BIG as u64 + 10 + 3 + 62);
    assert_eq!(std::fs::read(out.join("base/5/16396")).unwrap(), big(3));
}

#[test]
fn a_damaged_blob_fails_the_restore() {
    let t = tempfile::tempdir().unwrap();
    let plain = t.path().join("plain");
    tree(&plain, &big(7));
    let packed = t.path().join("packed");
    pack(&plain, &packed, None, 1).unwrap();
    let m = read_manifest(&packed).unwrap();
    let blob = m.entries.iter().find(|e| e.path == "base/5/16396").unwrap().blob.clone().unwrap();
    let mut bytes = std::fs::read(packed.join(&blob)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(packed.join(&blob), bytes).unwrap();
    let copied = Arc::new(AtomicU64::new(0));
    let err = restore(&packed, &t.path().join("out"), &copied, 2).unwrap_err();
    assert!(err.to_string().contains("base/5/16396"), "{err}");
}

/// Issue 18, item 8: a blob cut short says which backup and file, not "failed to fill whole
/// buffer".
#[test]
fn a_truncated_blob_names_the_backup_and_the_file() {
    let t = tempfile::tempdir().unwrap();
    let plain = t.path().join("plain");
    tree(&plain, &big(7));
    let packed = t.path().join("packed");
    pack(&plain, &packed, None, 1).unwrap();
    let m = read_manifest(&packed).unwrap();
    let blob = m.entries.iter().find(|e| e.path == "base/5/16396").unwrap().blob.clone().unwrap();
    let bytes = std::fs::read(packed.join(&blob)).unwrap();
    std::fs::write(packed.join(&blob), &bytes[..bytes.len() / 2]).unwrap();
    let copied = Arc::new(AtomicU64::new(0));
    let err = restore(&packed, &t.path().join("out"), &copied, 2).unwrap_err().to_string();
    assert!(err.contains(&packed.display().to_string()) && err.contains("base/5/16396"), "{err}");
    assert!(err.contains("is truncated") && !err.contains("fill whole buffer"), "{err}");
}
