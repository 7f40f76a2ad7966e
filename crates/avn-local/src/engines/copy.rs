//! Copying data directories and base backups: by cloning extents (`FICLONE`) where the
//! filesystem has reflinks (XFS, btrfs), else with `copy_file_range` (in-kernel, no round trip
//! through this process), in parallel across files. Owners and modes are kept.

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

/// `struct fsxattr` of `<linux/fs.h>`.
#[repr(C)]
#[derive(Default)]
struct FsXattr {
    xflags: u32,
    extsize: u32,
    nextents: u32,
    projid: u32,
    cowextsize: u32,
    pad: [u8; 8],
}
nix::ioctl_read!(fs_get_xattr, b'X', 31, FsXattr);
nix::ioctl_write_ptr!(fs_set_xattr, b'X', 32, FsXattr);
const FS_XFLAG_COWEXTSIZE: u32 = 0x0001_0000;

/// Where files share extents, a write to a shared block copies a whole copy-on-write extent:
/// 128 KiB by default on XFS, so each 8 KiB page PostgreSQL changes after a fork or a backup
/// would cost 16 times its size. Ask for 8 KiB extents under `dir` (files and directories
/// created there inherit it). A hint: where it cannot be set, nothing changes.
pub fn small_cow_extents(dir: &Path) {
    let set = || -> nix::Result<()> {
        let f = std::fs::File::open(dir).map_err(|e| nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0)))?;
        let mut x = FsXattr::default();
        // SAFETY: the descriptor is open and `x` is the kernel's struct fsxattr.
        unsafe { fs_get_xattr(f.as_raw_fd(), &mut x) }?;
        x.xflags |= FS_XFLAG_COWEXTSIZE;
        x.cowextsize = 8192;
        // SAFETY: as above.
        unsafe { fs_set_xattr(f.as_raw_fd(), &x) }?;
        Ok(())
    };
    if let Err(e) = set() {
        tracing::debug!("copy-on-write extent size of {}: {e}", dir.display());
    }
}

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
/// time. Blocking: run it on a blocking thread.
pub fn copy_tree(from: &Path, to: &Path, keep: Filter, copied: &Arc<AtomicU64>, threads: usize) -> std::io::Result<()> {
    let mut files = Vec::new();
    walk(from, to, Path::new(""), keep, &mut files)?;
    let files = files.into_iter().map(|(src, rel, len)| (len, (src, rel, len))).collect();
    parallel(files, threads, |(src, rel, len)| {
        copy_file(&src, &to.join(&rel))?;
        copied.fetch_add(len, Ordering::Relaxed);
        Ok(())
    })
}

/// Run `work` on each item, `threads` at a time, largest first (so the threads finish
/// together); the first error stops the rest and is returned.
pub fn parallel<T: Send>(
    mut items: Vec<(u64, T)>,
    threads: usize,
    work: impl Fn(T) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    items.sort_by_key(|(len, _)| std::cmp::Reverse(*len));
    let queue = Mutex::new(items.into_iter());
    let first_error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                if first_error.lock().expect("error slot").is_some() {
                    break;
                }
                let Some((_, item)) = queue.lock().expect("queue").next() else { break };
                if let Err(e) = work(item) {
                    first_error.lock().expect("error slot").get_or_insert(e);
                    break;
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_a_tree_with_modes_symlinks_and_filters() {
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
        copy_tree(&src, &first, no_pid_or_wal, &copied, 3).unwrap();
        assert_eq!(std::fs::read(first.join("base/1/100")).unwrap(), vec![7u8; 100_000]);
        assert_eq!(std::fs::metadata(first.join("base/1/100")).unwrap().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_link(first.join("link")).unwrap(), Path::new("base"));
        assert!(first.join("pg_wal").is_dir() && !first.join("pg_wal/000000010000000000000001").exists());
        assert!(!first.join("postmaster.pid").exists());
        assert_eq!(copied.load(Ordering::Relaxed), 100_007);
    }

    #[test]
    fn a_copy_into_an_existing_directory_fails_and_changes_nothing_there() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("src")).unwrap();
        std::fs::create_dir_all(d.path().join("dst")).unwrap();
        std::fs::write(d.path().join("dst/keep"), b"x").unwrap();
        let r = copy_tree(&d.path().join("src"), &d.path().join("dst"), all, &Arc::new(AtomicU64::new(0)), 1);
        assert!(r.is_err());
        assert_eq!(std::fs::read(d.path().join("dst/keep")).unwrap(), b"x");
    }
}
