//! Restoring a packed backup: every frame of every file decompressed at its place, on several
//! threads, each checked against its checksum and the manifest's sizes.

use std::fs::File;
use std::io::BufWriter;
use std::io::Read;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::read_manifest;
use super::Entry;
use super::Kind;
use crate::engines::copy::parallel;
use crate::engines::postgres::compress::BUF;
use crate::engines::postgres::compress::FRAME;

/// Counts what is written, for progress.
struct Counting<'a, W> {
    inner: W,
    count: &'a AtomicU64,
    written: u64,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// One piece of a restore: a whole blob (written as a stream), or one frame of it.
struct Piece<'a> {
    entry: &'a Entry,
    out: Arc<File>,
    /// (offset in the blob, compressed length, offset in the file, length in the file)
    frame: Option<(u64, u64, u64, u64)>,
}

/// Restore the packed backup `packed` into `dest` (which must not exist), with the modes and
/// owners it was taken with, adding each byte written to `copied`. Frames are decompressed
/// `threads` at a time, whatever file they belong to. A damaged blob (its checksums, or sizes
/// that differ from the manifest's) is an error. Blocking.
pub fn restore(packed: &Path, dest: &Path, copied: &Arc<AtomicU64>, threads: usize) -> std::io::Result<()> {
    let manifest = read_manifest(packed)?;
    let pieces = lay_out(packed, dest, &manifest.entries)?;
    parallel(pieces, threads, |piece| restore_piece(packed, &piece, copied))
}

/// An error about entry `e` of the backup `packed`.
fn bad(packed: &Path, e: &Entry, what: &str) -> std::io::Error {
    super::PackError::Damaged { backup: packed.to_path_buf(), entry: e.path.clone(), what: what.to_string() }.io()
}

/// Create the tree (directories, symlinks, empty files with their modes and owners) and return
/// the pieces to decompress into the files, each with its size.
fn lay_out<'a>(packed: &Path, dest: &Path, entries: &'a [Entry]) -> std::io::Result<Vec<(u64, Piece<'a>)>> {
    let mut pieces: Vec<(u64, Piece<'a>)> = Vec::new();
    for e in entries {
        let rel = Path::new(&e.path);
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return Err(bad(packed, e, "a path outside the backup"));
        }
        let p = dest.join(rel);
        match e.kind {
            Kind::Dir => {
                std::fs::create_dir(&p)?;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(e.mode))?;
            }
            Kind::Symlink => std::os::unix::fs::symlink(e.target.as_deref().unwrap_or_default(), &p)?,
            Kind::File => {
                if e.blob.as_deref().is_some_and(|b| {
                    !b.strip_prefix("blobs/")
                        .and_then(|n| n.strip_suffix(".zst"))
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
                }) {
                    return Err(bad(packed, e, "a blob outside the backup"));
                }
                let out = std::fs::OpenOptions::new().write(true).create_new(true).mode(e.mode).open(&p)?;
                std::os::unix::fs::fchown(&out, Some(e.uid), Some(e.gid))?;
                // The mode given at creation is narrowed by the umask; set it as it was.
                out.set_permissions(std::fs::Permissions::from_mode(e.mode))?;
                let out = Arc::new(out);
                match (&e.blob, e.frames.is_empty()) {
                    (None, _) if e.size == 0 => {}
                    (None, _) => return Err(bad(packed, e, "no blob")),
                    (Some(_), true) => pieces.push((e.size, Piece { entry: e, out, frame: None })),
                    (Some(_), false) => {
                        if e.frames.len() as u64 != e.size.div_ceil(FRAME) {
                            return Err(bad(packed, e, "frames that do not cover the file"));
                        }
                        let mut at = 0;
                        for (i, len) in e.frames.iter().enumerate() {
                            let raw_at = i as u64 * FRAME;
                            let raw_len = FRAME.min(e.size - raw_at);
                            let frame = Some((at, *len, raw_at, raw_len));
                            pieces.push((raw_len, Piece { entry: e, out: out.clone(), frame }));
                            at += len;
                        }
                    }
                }
                continue;
            }
        }
        std::os::unix::fs::lchown(&p, Some(e.uid), Some(e.gid))?;
    }
    Ok(pieces)
}

/// Decompress one piece into its place in its file.
fn restore_piece(packed: &Path, piece: &Piece<'_>, copied: &AtomicU64) -> std::io::Result<()> {
    let e = piece.entry;
    let blob = packed.join(e.blob.as_deref().unwrap_or_default());
    let out = &*piece.out;
    let Some((at, len, raw_at, raw_len)) = piece.frame else {
        // A blob of one stream (backups packed before frames): decode it in order.
        let mut w = Counting { inner: BufWriter::with_capacity(BUF, out), count: copied, written: 0 };
        let f = File::open(&blob).map_err(|err| bad(packed, e, &format!("{}: {err}", blob.display())))?;
        zstd::stream::copy_decode(f, &mut w).map_err(|err| bad(packed, e, &err.to_string()))?;
        w.flush()?;
        return match w.written == e.size {
            true => Ok(()),
            false => Err(bad(packed, e, &format!("restored {} bytes, the manifest says {}", w.written, e.size))),
        };
    };
    use std::io::Seek;
    use std::os::unix::fs::FileExt;
    let mut f = File::open(&blob).map_err(|err| bad(packed, e, &format!("{}: {err}", blob.display())))?;
    f.seek(std::io::SeekFrom::Start(at))?;
    let mut comp = vec![0u8; len as usize];
    // A blob cut short names the backup and the file, as a checksum error does.
    f.read_exact(&mut comp).map_err(|err| match err.kind() {
        std::io::ErrorKind::UnexpectedEof => bad(
            packed,
            e,
            &format!("{} is truncated: frame at {raw_at} needs bytes {at}..{} of it", blob.display(), at + len),
        ),
        _ => bad(packed, e, &format!("{}: {err}", blob.display())),
    })?;
    let raw = zstd::bulk::Decompressor::new()?
        .decompress(&comp, raw_len as usize)
        .map_err(|err| bad(packed, e, &format!("frame at {raw_at}: {err}")))?;
    if raw.len() as u64 != raw_len {
        return Err(bad(packed, e, &format!("frame at {raw_at} holds {} bytes, not {raw_len}", raw.len())));
    }
    out.write_all_at(&raw, raw_at)?;
    // Start writing it to disk now, while the other frames are unpacked: the restore is made
    // durable at its end (syncfs), which then has less left to wait for. A hint only.
    // SAFETY: a plain system call on a descriptor that stays open.
    unsafe {
        use std::os::fd::AsRawFd;
        nix::libc::sync_file_range(out.as_raw_fd(), raw_at as i64, raw_len as i64, nix::libc::SYNC_FILE_RANGE_WRITE);
    }
    copied.fetch_add(raw_len, Ordering::Relaxed);
    Ok(())
}
