//! Copying data directories and base backups: by cloning extents (`FICLONE`) where the
//! filesystem has reflinks (XFS, btrfs), else with `copy_file_range` (in-kernel, no round trip
//! through this process), in parallel across files; or by hard links to an earlier copy's
//! identical files (base backups share what has not changed). Owners and modes are kept.

use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;

nix::ioctl_write_int!(ficlone, 0x94, 9);

/// How files are copied on a filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Extents are shared (copy-on-write): a copy of any size takes moments.
    Reflink,
    /// Bytes are copied in the kernel (`copy_file_range`).
    Copy,
}

impl Method {
    pub fn describe(self) -> &'static str {
        match self {
            Method::Reflink => "reflink clones (copy-on-write; forks take moments whatever their size)",
            Method::Copy => "copy_file_range, in parallel (this filesystem has no reflinks)",
        }
    }
}

/// Whether files in `dir` can be cloned: try it on a scratch file.
pub fn detect(dir: &Path) -> Method {
    let probe = || -> std::io::Result<bool> {
        let a = dir.join(".avn-reflink-probe-a");
        let b = dir.join(".avn-reflink-probe-b");
        std::fs::write(&a, b"probe")?;
        let src = std::fs::File::open(&a)?;
        let dst = std::fs::File::create(&b)?;
        // SAFETY: both descriptors are open for the duration of the call.
        let ok = unsafe { ficlone(dst.as_raw_fd(), src.as_raw_fd() as nix::sys::ioctl::ioctl_param_type) }.is_ok();
        let _ = std::fs::remove_file(&a);
        let _ = std::fs::remove_file(&b);
        Ok(ok)
    };
    if probe().unwrap_or(false) {
        Method::Reflink
    } else {
        Method::Copy
    }
}

/// What to copy: every path under the root for which `keep(relative path)` holds.
pub type Filter = fn(&Path) -> bool;

/// Everything.
pub fn all(_: &Path) -> bool {
    true
}

/// Copy the tree `from` to `to` (which must not exist), adding each file's size to `copied` as
/// it goes. Files are cloned where the filesystem can, else copied in the kernel, `threads` at a
/// time. When `link_from` names an earlier copy, a file identical to its counterpart there (same
/// size and contents) is hard-linked instead of copied. Blocking: run it on a blocking thread.
pub fn copy_tree(
    from: &Path,
    to: &Path,
    keep: Filter,
    link_from: Option<&Path>,
    copied: &Arc<AtomicU64>,
    threads: usize,
) -> std::io::Result<()> {
    let mut files = Vec::new();
    walk(from, to, Path::new(""), keep, &mut files)?;
    // Largest first, so the threads finish together.
    files.sort_by_key(|(_, _, len)| std::cmp::Reverse(*len));
    let queue = Mutex::new(files.into_iter());
    let first_error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let Some((src, rel, len)) = queue.lock().expect("queue").next() else { break };
                let dst = to.join(&rel);
                let linked = link_from.is_some_and(|base| same_file_contents(&base.join(&rel), &src, len));
                let r = if linked {
                    std::fs::hard_link(link_from.expect("checked").join(&rel), &dst)
                } else {
                    copy_file(&src, &dst)
                };
                if let Err(e) = r {
                    first_error.lock().expect("error slot").get_or_insert(e);
                    break;
                }
                copied.fetch_add(len, Ordering::Relaxed);
            });
        }
    });
    match first_error.into_inner().expect("error slot") {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Create the directories (with their modes and owners) and list the files to copy.
fn walk(
    from: &Path,
    to: &Path,
    rel: &Path,
    keep: Filter,
    files: &mut Vec<(PathBuf, PathBuf, u64)>,
) -> std::io::Result<()> {
    let src_dir = from.join(rel);
    let meta = std::fs::symlink_metadata(&src_dir)?;
    let dst_dir = to.join(rel);
    std::fs::create_dir(&dst_dir)?;
    std::fs::set_permissions(&dst_dir, std::fs::Permissions::from_mode(meta.mode() & 0o7777))?;
    std::os::unix::fs::lchown(&dst_dir, Some(meta.uid()), Some(meta.gid()))?;
    for entry in std::fs::read_dir(&src_dir)? {
        let entry = entry?;
        let r = rel.join(entry.file_name());
        if !keep(&r) {
            continue;
        }
        let m = entry.metadata()?;
        let t = m.file_type();
        if t.is_dir() {
            walk(from, to, &r, keep, files)?;
        } else if t.is_symlink() {
            let target = std::fs::read_link(entry.path())?;
            std::os::unix::fs::symlink(target, to.join(&r))?;
            std::os::unix::fs::lchown(to.join(&r), Some(m.uid()), Some(m.gid()))?;
        } else if t.is_file() {
            files.push((entry.path(), r, m.len()));
        }
    }
    Ok(())
}

/// Clone `src` to `dst` where the filesystem can; else copy it in the kernel (`std::fs::copy`
/// uses `copy_file_range`). Mode and owner follow the source.
fn copy_file(src: &Path, dst: &Path) -> std::io::Result<()> {
    let meta = std::fs::metadata(src)?;
    let input = std::fs::File::open(src)?;
    let output = std::fs::File::create(dst)?;
    // SAFETY: both descriptors are open for the duration of the call.
    let cloned = unsafe { ficlone(output.as_raw_fd(), input.as_raw_fd() as nix::sys::ioctl::ioctl_param_type) }.is_ok();
    drop(output);
    if !cloned {
        std::fs::copy(src, dst)?;
    }
    std::fs::set_permissions(dst, std::fs::Permissions::from_mode(meta.mode() & 0o7777))?;
    std::os::unix::fs::lchown(dst, Some(meta.uid()), Some(meta.gid()))?;
    Ok(())
}

/// Replace each file of `new` that is identical to its counterpart in `old` by a hard link to
/// that counterpart (base backups are never written after they are taken, so sharing is safe).
/// Returns the bytes now shared. Each replacement is atomic (link to a temporary name, rename).
pub fn link_identical(new: &Path, old: &Path) -> std::io::Result<u64> {
    let mut saved = 0;
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in std::fs::read_dir(new.join(&rel))? {
            let entry = entry?;
            let r = rel.join(entry.file_name());
            let t = entry.file_type()?;
            if t.is_dir() {
                stack.push(r);
            } else if t.is_file() {
                let len = entry.metadata()?.len();
                let (theirs, ours) = (old.join(&r), new.join(&r));
                if len > 0 && same_file_contents(&theirs, &ours, len) {
                    let tmp = new.join(&rel).join(format!(".{}.avn-link", entry.file_name().to_string_lossy()));
                    let _ = std::fs::remove_file(&tmp);
                    std::fs::hard_link(&theirs, &tmp)?;
                    std::fs::rename(&tmp, &ours)?;
                    saved += len;
                }
            }
        }
    }
    Ok(saved)
}

/// Whether `a` exists and holds exactly what `b` holds (`len` bytes).
fn same_file_contents(a: &Path, b: &Path, len: u64) -> bool {
    use std::io::Read;
    let Ok(ma) = std::fs::metadata(a) else { return false };
    if ma.len() != len {
        return false;
    }
    let (Ok(mut fa), Ok(mut fb)) = (std::fs::File::open(a), std::fs::File::open(b)) else { return false };
    let mut ba = vec![0u8; 1 << 16];
    let mut bb = vec![0u8; 1 << 16];
    loop {
        let n = match fa.read(&mut ba) {
            Ok(n) => n,
            Err(_) => return false,
        };
        if n == 0 {
            return fb.read(&mut bb[..1]).is_ok_and(|m| m == 0);
        }
        if fb.read_exact(&mut bb[..n]).is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_a_tree_with_modes_symlinks_filters_and_links_identical_files() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        std::fs::create_dir_all(src.join("base/1")).unwrap();
        std::fs::create_dir_all(src.join("pg_wal")).unwrap();
        std::fs::write(src.join("base/1/100"), vec![7u8; 100_000]).unwrap();
        std::fs::write(src.join("base/1/200"), b"changes").unwrap();
        std::fs::write(src.join("pg_wal/000000010000000000000001"), b"wal").unwrap();
        std::fs::write(src.join("postmaster.pid"), b"1").unwrap();
        std::fs::set_permissions(src.join("base/1/100"), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink("base", src.join("link")).unwrap();
        let copied = Arc::new(AtomicU64::new(0));
        fn no_pid_or_wal(p: &Path) -> bool {
            p != Path::new("postmaster.pid") && (p == Path::new("pg_wal") || !p.starts_with("pg_wal"))
        }
        let first = d.path().join("first");
        copy_tree(&src, &first, no_pid_or_wal, None, &copied, 3).unwrap();
        assert_eq!(std::fs::read(first.join("base/1/100")).unwrap(), vec![7u8; 100_000]);
        assert_eq!(std::fs::metadata(first.join("base/1/100")).unwrap().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_link(first.join("link")).unwrap(), Path::new("base"));
        assert!(first.join("pg_wal").is_dir() && !first.join("pg_wal/000000010000000000000001").exists());
        assert!(!first.join("postmaster.pid").exists());
        assert_eq!(copied.load(Ordering::Relaxed), 100_007);

        // A second copy shares the unchanged file with the first, and copies the changed one.
        std::fs::write(src.join("base/1/200"), b"changed").unwrap();
        let second = d.path().join("second");
        copy_tree(&src, &second, all, Some(&first), &copied, 2).unwrap();
        let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
        assert_eq!(ino(&first.join("base/1/100")), ino(&second.join("base/1/100")));
        assert_ne!(ino(&first.join("base/1/200")), ino(&second.join("base/1/200")));
        assert_eq!(std::fs::read(second.join("base/1/200")).unwrap(), b"changed");
        assert!(second.join("postmaster.pid").exists());
    }

    #[test]
    fn identical_files_of_a_new_backup_become_links_to_the_old_one() {
        let d = tempfile::tempdir().unwrap();
        let (old, new) = (d.path().join("old"), d.path().join("new"));
        for dir in [&old, &new] {
            std::fs::create_dir_all(dir.join("base/1")).unwrap();
            std::fs::write(dir.join("base/1/same"), vec![1u8; 70_000]).unwrap();
        }
        std::fs::write(old.join("base/1/changed"), b"before").unwrap();
        std::fs::write(new.join("base/1/changed"), b"after!").unwrap();
        std::fs::write(new.join("base/1/added"), b"new").unwrap();
        assert_eq!(link_identical(&new, &old).unwrap(), 70_000);
        let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
        assert_eq!(ino(&old.join("base/1/same")), ino(&new.join("base/1/same")));
        assert_ne!(ino(&old.join("base/1/changed")), ino(&new.join("base/1/changed")));
        assert_eq!(std::fs::read(new.join("base/1/changed")).unwrap(), b"after!");
        assert_eq!(std::fs::read(new.join("base/1/added")).unwrap(), b"new");
        // Removing the old backup (rotation) leaves the new one whole.
        std::fs::remove_dir_all(&old).unwrap();
        assert_eq!(std::fs::read(new.join("base/1/same")).unwrap(), vec![1u8; 70_000]);
        assert_eq!(std::fs::read_dir(new.join("base/1")).unwrap().count(), 3, "no temporary files left");
    }

    #[test]
    fn a_copy_into_an_existing_directory_fails_and_changes_nothing_there() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("src")).unwrap();
        std::fs::create_dir_all(d.path().join("dst")).unwrap();
        std::fs::write(d.path().join("dst/keep"), b"x").unwrap();
        let r = copy_tree(&d.path().join("src"), &d.path().join("dst"), all, None, &Arc::new(AtomicU64::new(0)), 1);
        assert!(r.is_err());
        assert_eq!(std::fs::read(d.path().join("dst/keep")).unwrap(), b"x");
    }
}
