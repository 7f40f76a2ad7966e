//! Packed base backups (on filesystems without reflinks): every file of the backup compressed
//! with zstd into `blobs/`, and a manifest (`avn-backup.json`) that lists the tree (directories,
//! files with their sizes, symlinks, modes and owners). A file identical to the previous backup's
//! is a hard link to that backup's blob, so unchanged files cost nothing twice. A backup is never
//! written after it is recorded, so sharing blobs is safe, and deleting a backup (a directory)
//! leaves the blobs other backups link to.
//!
//! `backup_label` is also kept plain beside the manifest: recovery's start point is read there.
//! A blob is a run of zstd frames of 16 MiB each (of the file), each with its content checksum:
//! a restore decompresses the frames of even one large file on every core, writing each at its
//! place, and a damaged blob fails the restore instead of restoring wrong bytes.

use std::fs::File;
use std::io::BufReader;
use std::io::BufWriter;
use std::io::Read;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::sync::Mutex;

use super::copy::parallel;
use serde::Deserialize;
use serde::Serialize;

pub const MANIFEST: &str = "avn-backup.json";
const FORMAT: u32 = 1;
/// Fast enough to pack a backup at disk speed; pgbench's data shrinks about 40 times.
const LEVEL: i32 = 1;
const BUF: usize = 1 << 20;
/// The part of a file each frame holds.
const FRAME: u64 = 16 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Dir,
    File,
    Symlink,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// Relative to the backup's root; "" is the root itself.
    path: String,
    kind: Kind,
    mode: u32,
    uid: u32,
    gid: u32,
    #[serde(default)]
    size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    /// Relative to the backup's root; none for an empty file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    blob: Option<String>,
    /// The compressed length of each frame of the blob, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    frames: Vec<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    entries: Vec<Entry>,
}

/// What packing did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Packed {
    /// Bytes of the files, before compression.
    pub raw: u64,
    /// Bytes of blobs written by this backup.
    pub written: u64,
    /// Bytes of files shared with the previous backup (not written again).
    pub shared: u64,
}

/// Whether `dir` is a packed backup (else it is a plain copy of a data directory).
pub fn is_packed(dir: &Path) -> bool {
    dir.join(MANIFEST).is_file()
}

fn read_manifest(dir: &Path) -> std::io::Result<Manifest> {
    let text = std::fs::read(dir.join(MANIFEST))?;
    let m: Manifest = serde_json::from_slice(&text).map_err(std::io::Error::other)?;
    if m.format != FORMAT {
        return Err(std::io::Error::other(format!(
            "{} has format {}, this avn reads {FORMAT}",
            dir.join(MANIFEST).display(),
            m.format
        )));
    }
    Ok(m)
}

/// The bytes a packed backup restores to.
pub fn raw_size(dir: &Path) -> std::io::Result<u64> {
    Ok(read_manifest(dir)?.entries.iter().filter(|e| e.kind == Kind::File).map(|e| e.size).sum())
}

fn rel_str(rel: &Path) -> std::io::Result<String> {
    rel.to_str()
        .map(str::to_string)
        .ok_or_else(|| std::io::Error::other(format!("{} is not UTF-8; it cannot be packed", rel.display())))
}

/// Whether an error means the file went away (a running server drops and truncates files).
fn vanished(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound
}

fn list(root: &Path, rel: &Path, keep: super::copy::Filter, live: bool, out: &mut Vec<Entry>) -> std::io::Result<()> {
    let p = root.join(rel);
    let m = match std::fs::symlink_metadata(&p) {
        Err(e) if live && vanished(&e) && !rel.as_os_str().is_empty() => return Ok(()),
        m => m?,
    };
    let t = m.file_type();
    let mut e = Entry {
        path: rel_str(rel)?,
        kind: Kind::File,
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        gid: m.gid(),
        size: 0,
        target: None,
        blob: None,
        frames: Vec::new(),
    };
    if t.is_dir() {
        e.kind = Kind::Dir;
        out.push(e);
        let names: std::io::Result<Vec<_>> = match std::fs::read_dir(&p) {
            Ok(rd) => rd.map(|d| d.map(|d| d.file_name())).collect(),
            Err(e) => Err(e),
        };
        let mut names = match names {
            Err(e) if live && vanished(&e) => Vec::new(),
            n => n?,
        };
        names.sort();
        for n in names {
            let r = rel.join(n);
            if keep(&r) {
                list(root, &r, keep, live, out)?;
            }
        }
    } else if t.is_symlink() {
        e.kind = Kind::Symlink;
        e.target = Some(rel_str(&std::fs::read_link(&p)?)?);
        out.push(e);
    } else if t.is_file() {
        e.size = m.len();
        out.push(e);
    }
    Ok(())
}

/// The files of a backup being packed, before its manifest is written ([`finish`]).
pub struct Files {
    entries: Vec<Entry>,
    owner: (u32, u32),
    stats: Packed,
}

/// Pack the files of `from` for which `keep` holds into `dest` (which must not exist), sharing
/// blobs with `previous` where files are identical. With `live`, `from` is the data directory of
/// a running server between `pg_backup_start` and `pg_backup_stop`: a file may vanish (it is
/// left out) or change size while it is read (what was read is kept; WAL replay from the
/// backup's start makes it consistent, as for any online base backup). Blocking.
pub fn pack_files(
    from: &Path,
    dest: &Path,
    previous: Option<&Path>,
    threads: usize,
    keep: super::copy::Filter,
    live: bool,
) -> std::io::Result<Files> {
    let mut entries = Vec::new();
    list(from, Path::new(""), keep, live, &mut entries)?;
    let prev: std::collections::HashMap<String, (u64, PathBuf, Vec<u64>)> = match previous.filter(|p| is_packed(p)) {
        Some(p) => read_manifest(p)?
            .entries
            .into_iter()
            .filter_map(|e| Some((e.path, (e.size, p.join(e.blob?), e.frames))))
            .collect(),
        None => Default::default(),
    };
    let root = std::fs::symlink_metadata(from)?;
    let owner = (root.uid(), root.gid());
    std::fs::create_dir(dest)?;
    std::fs::create_dir(dest.join("blobs"))?;
    for d in [dest, &dest.join("blobs")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700))?;
        std::os::unix::fs::lchown(d, Some(owner.0), Some(owner.1))?;
    }
    let mut work = Vec::new();
    for (i, e) in entries.iter_mut().enumerate() {
        if e.kind == Kind::File && e.size > 0 {
            let blob = format!("blobs/{i}.zst");
            work.push((e.size, (i, from.join(&e.path), dest.join(&blob), prev.get(&e.path).cloned())));
            e.blob = Some(blob);
        }
    }
    let (written, shared) = (AtomicU64::new(0), AtomicU64::new(0));
    // Per packed file: its size as read, and its frames; None when it vanished.
    let done = Mutex::new(std::collections::HashMap::new());
    parallel(work, threads, |(i, src, blob, before)| {
        // These threads end with the packing: background work yields to services and restores.
        super::process::nice_this_thread();
        let len = match std::fs::metadata(&src) {
            Err(e) if live && vanished(&e) => {
                done.lock().expect("done").insert(i, None);
                return Ok(());
            }
            m => m?.len(),
        };
        if let Some((_, old, old_frames)) = before.filter(|(size, old, _)| *size == len && same_as_blob(old, &src)) {
            std::fs::hard_link(&old, &blob)?;
            shared.fetch_add(len, Ordering::Relaxed);
            done.lock().expect("done").insert(i, Some((len, old_frames)));
            return Ok(());
        }
        let mut input = match open_nofollow(&src) {
            Err(e) if live && vanished(&e) => {
                done.lock().expect("done").insert(i, None);
                return Ok(());
            }
            f => f?,
        };
        let mut out = BufWriter::with_capacity(
            BUF,
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&blob)?,
        );
        let mut z = zstd::bulk::Compressor::new(LEVEL)?;
        z.set_parameter(zstd::stream::raw::CParameter::ChecksumFlag(true))?;
        let mut buf = vec![0u8; FRAME as usize];
        let (mut lens, mut total) = (Vec::new(), 0u64);
        loop {
            let n = read_full(&mut input, &mut buf)?;
            if n == 0 {
                break;
            }
            let frame = z.compress(&buf[..n])?;
            out.write_all(&frame)?;
            lens.push(frame.len() as u64);
            total += n as u64;
        }
        if total != len && !live {
            return Err(std::io::Error::other(format!("{} changed while it was packed", src.display())));
        }
        let out = out.into_inner().map_err(|e| e.into_error())?;
        written.fetch_add(lens.iter().sum::<u64>(), Ordering::Relaxed);
        std::os::unix::fs::fchown(&out, Some(owner.0), Some(owner.1))?;
        done.lock().expect("done").insert(i, Some((total, lens)));
        Ok(())
    })?;
    let mut gone = std::collections::HashSet::new();
    for (i, d) in done.into_inner().expect("done") {
        match d {
            Some((size, lens)) => {
                entries[i].size = size;
                entries[i].frames = lens;
                if size == 0 {
                    // Emptied while it was read.
                    let _ = std::fs::remove_file(dest.join(entries[i].blob.take().unwrap_or_default()));
                }
            }
            None => {
                gone.insert(i);
            }
        }
    }
    let entries: Vec<Entry> =
        entries.into_iter().enumerate().filter(|(i, _)| !gone.contains(i)).map(|(_, e)| e).collect();
    let stats = Packed {
        raw: entries.iter().map(|e| e.size).sum(),
        written: written.into_inner(),
        shared: shared.into_inner(),
    };
    Ok(Files { entries, owner, stats })
}

/// Complete a packed backup: add `extra` files to its tree (for an online copy: the
/// `backup_label` and any `tablespace_map` that `pg_backup_stop` returned) and the WAL status
/// directory an online copy leaves out, keep `label` plain beside the manifest, and write the
/// manifest. Blocking.
pub fn finish(dest: &Path, mut files: Files, label: &[u8], extra: &[(&str, &[u8])]) -> std::io::Result<Packed> {
    let owner = files.owner;
    let next = files
        .entries
        .iter()
        .filter_map(|e| e.blob.as_deref()?.strip_prefix("blobs/")?.strip_suffix(".zst")?.parse::<u64>().ok())
        .max()
        .map_or(0, |n| n + 1);
    let mut z = zstd::bulk::Compressor::new(LEVEL)?;
    z.set_parameter(zstd::stream::raw::CParameter::ChecksumFlag(true))?;
    for (k, (name, bytes)) in extra.iter().enumerate() {
        files.entries.retain(|e| e.path != *name);
        let blob = format!("blobs/{}.zst", next + k as u64);
        let frame = z.compress(bytes)?;
        write_new(&dest.join(&blob), &frame, owner)?;
        files.entries.push(Entry {
            path: name.to_string(),
            kind: Kind::File,
            mode: 0o600,
            uid: owner.0,
            gid: owner.1,
            size: bytes.len() as u64,
            target: None,
            frames: if bytes.is_empty() { Vec::new() } else { vec![frame.len() as u64] },
            blob: (!bytes.is_empty()).then_some(blob),
        });
        files.stats.raw += bytes.len() as u64;
        files.stats.written += frame.len() as u64;
    }
    let has = |p: &str| files.entries.iter().any(|e| e.path == p && e.kind == Kind::Dir);
    if has("pg_wal") && !has("pg_wal/archive_status") {
        let wal = files.entries.iter().find(|e| e.path == "pg_wal").cloned().expect("checked");
        files.entries.push(Entry { path: "pg_wal/archive_status".into(), ..wal });
    }
    let manifest = Manifest { format: FORMAT, entries: files.entries };
    let text = serde_json::to_vec(&manifest).map_err(std::io::Error::other)?;
    write_new(&dest.join(MANIFEST), &text, owner)?;
    write_new(&dest.join("backup_label"), label, owner)?;
    Ok(files.stats)
}

fn write_new(path: &Path, bytes: &[u8], owner: (u32, u32)) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    std::os::unix::fs::fchown(&f, Some(owner.0), Some(owner.1))
}

/// Open a file of the server's to read it, never through a symlink put in its place.
fn open_nofollow(p: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new().read(true).custom_flags(nix::libc::O_NOFOLLOW).open(p)
}

/// Whether `blob` decompresses to exactly the contents of `file`.
fn same_as_blob(blob: &Path, file: &Path) -> bool {
    let compare = || -> std::io::Result<bool> {
        let mut a = zstd::stream::read::Decoder::new(File::open(blob)?)?;
        let mut b = BufReader::with_capacity(BUF, open_nofollow(file)?);
        let (mut ba, mut bb) = (vec![0u8; BUF], vec![0u8; BUF]);
        loop {
            let n = read_full(&mut b, &mut bb)?;
            let m = read_full(&mut a, &mut ba[..n.max(1)])?;
            if n != m || ba[..n] != bb[..n] {
                return Ok(false);
            }
            if n == 0 {
                return Ok(true);
            }
        }
    };
    compare().unwrap_or(false)
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

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
    let bad = |e: &Entry, what: &str| std::io::Error::other(format!("{}: {}: {what}", packed.display(), e.path));
    let mut pieces = Vec::new();
    for e in &manifest.entries {
        let rel = Path::new(&e.path);
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return Err(bad(e, "a path outside the backup"));
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
                    return Err(bad(e, "a blob outside the backup"));
                }
                let out = std::fs::OpenOptions::new().write(true).create_new(true).mode(e.mode).open(&p)?;
                std::os::unix::fs::fchown(&out, Some(e.uid), Some(e.gid))?;
                // The mode given at creation is narrowed by the umask; set it as it was.
                out.set_permissions(std::fs::Permissions::from_mode(e.mode))?;
                let out = Arc::new(out);
                match (&e.blob, e.frames.is_empty()) {
                    (None, _) if e.size == 0 => {}
                    (None, _) => return Err(bad(e, "no blob")),
                    (Some(_), true) => pieces.push((e.size, Piece { entry: e, out, frame: None })),
                    (Some(_), false) => {
                        if e.frames.len() as u64 != e.size.div_ceil(FRAME) {
                            return Err(bad(e, "frames that do not cover the file"));
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
    parallel(pieces, threads, |piece| {
        let e = piece.entry;
        let blob = packed.join(e.blob.as_deref().unwrap_or_default());
        let out = &*piece.out;
        let Some((at, len, raw_at, raw_len)) = piece.frame else {
            // A blob of one stream (backups packed before frames): decode it in order.
            let mut w = Counting { inner: BufWriter::with_capacity(BUF, out), count: copied, written: 0 };
            let f = File::open(&blob).map_err(|err| bad(e, &format!("{}: {err}", blob.display())))?;
            zstd::stream::copy_decode(f, &mut w).map_err(|err| bad(e, &err.to_string()))?;
            w.flush()?;
            return match w.written == e.size {
                true => Ok(()),
                false => Err(bad(e, &format!("restored {} bytes, the manifest says {}", w.written, e.size))),
            };
        };
        use std::io::Seek;
        use std::os::unix::fs::FileExt;
        let mut f = File::open(&blob).map_err(|err| bad(e, &format!("{}: {err}", blob.display())))?;
        f.seek(std::io::SeekFrom::Start(at))?;
        let mut comp = vec![0u8; len as usize];
        // A blob cut short names the backup and the file, as a checksum error does.
        f.read_exact(&mut comp).map_err(|err| match err.kind() {
            std::io::ErrorKind::UnexpectedEof => bad(
                e,
                &format!("{} is truncated: frame at {raw_at} needs bytes {at}..{} of it", blob.display(), at + len),
            ),
            _ => bad(e, &format!("{}: {err}", blob.display())),
        })?;
        let raw = zstd::bulk::Decompressor::new()?
            .decompress(&comp, raw_len as usize)
            .map_err(|err| bad(e, &format!("frame at {raw_at}: {err}")))?;
        if raw.len() as u64 != raw_len {
            return Err(bad(e, &format!("frame at {raw_at} holds {} bytes, not {raw_len}", raw.len())));
        }
        out.write_all_at(&raw, raw_at)?;
        // Start writing it to disk now, while the other frames are unpacked: the restore is made
        // durable at its end (syncfs), which then has less left to wait for. A hint only.
        // SAFETY: a plain system call on a descriptor that stays open.
        unsafe {
            use std::os::fd::AsRawFd;
            nix::libc::sync_file_range(
                out.as_raw_fd(),
                raw_at as i64,
                raw_len as i64,
                nix::libc::SYNC_FILE_RANGE_WRITE,
            );
        }
        copied.fetch_add(raw_len, Ordering::Relaxed);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pack a plain backup (one with its `backup_label`).
    fn pack(plain: &Path, dest: &Path, previous: Option<&Path>, threads: usize) -> std::io::Result<Packed> {
        let label = std::fs::read(plain.join("backup_label"))?;
        let files = pack_files(plain, dest, previous, threads, crate::engines::postgres::copy::all, false)?;
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
}
