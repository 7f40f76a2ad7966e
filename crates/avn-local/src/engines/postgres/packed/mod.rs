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

use std::collections::HashMap;
use std::fs::File;
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
use std::sync::Mutex;

use crate::engines::copy::parallel;
use serde::Deserialize;
use serde::Serialize;

pub const MANIFEST: &str = "avn-backup.json";
const FORMAT: u32 = 1;
use super::compress::open_nofollow;
use super::compress::read_full;
use super::compress::BUF;
use super::compress::FRAME;

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

/// Why a backup cannot be packed or restored. Carried inside the `io::Error`s the copy threads
/// return ([`PackError::io`]), so it can be told apart from a failure of the disk.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{}: {source}", manifest.display())]
    Manifest { manifest: PathBuf, source: serde_json::Error },
    #[error("{} has format {found}, this avn reads {FORMAT}", manifest.display())]
    Format { manifest: PathBuf, found: u32 },
    #[error("{} is not UTF-8; it cannot be packed", .0.display())]
    NotUtf8(PathBuf),
    #[error("{} changed while it was packed", .0.display())]
    Changed(PathBuf),
    /// A blob, frame or entry of the backup does not restore to what its manifest says.
    #[error("{}: {entry}: {what}", backup.display())]
    Damaged { backup: PathBuf, entry: String, what: String },
}

impl PackError {
    /// As the `io::Error` the copy threads return.
    pub fn io(self) -> std::io::Error {
        std::io::Error::other(self)
    }
}

fn read_manifest(dir: &Path) -> std::io::Result<Manifest> {
    let manifest = dir.join(MANIFEST);
    let text = std::fs::read(&manifest)?;
    let m: Manifest = serde_json::from_slice(&text)
        .map_err(|source| PackError::Manifest { manifest: manifest.clone(), source }.io())?;
    if m.format != FORMAT {
        return Err(PackError::Format { manifest, found: m.format }.io());
    }
    Ok(m)
}

/// The bytes a packed backup restores to.
pub fn raw_size(dir: &Path) -> std::io::Result<u64> {
    Ok(read_manifest(dir)?.entries.iter().filter(|e| e.kind == Kind::File).map(|e| e.size).sum())
}

fn rel_str(rel: &Path) -> std::io::Result<String> {
    rel.to_str().map(str::to_string).ok_or_else(|| PackError::NotUtf8(rel.to_path_buf()).io())
}

/// Whether an error means the file went away (a running server drops and truncates files).
fn vanished(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::NotFound
}

fn list(
    root: &Path,
    rel: &Path,
    keep: crate::engines::copy::Filter,
    live: bool,
    out: &mut Vec<Entry>,
) -> std::io::Result<()> {
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
    keep: crate::engines::copy::Filter,
    live: bool,
) -> std::io::Result<Files> {
    let mut entries = Vec::new();
    list(from, Path::new(""), keep, live, &mut entries)?;
    let prev = previous_blobs(previous)?;
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
        let (out, total, lens) = compress_into(&mut input, &blob)?;
        if total != len && !live {
            return Err(PackError::Changed(src.clone()).io());
        }
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

/// A file's blob in the previous backup: its size, the blob, and its frames.
type PreviousBlob = (u64, PathBuf, Vec<u64>);

/// The blobs of the previous packed backup, by path. Empty when there is none (or it is not
/// packed).
fn previous_blobs(previous: Option<&Path>) -> std::io::Result<HashMap<String, PreviousBlob>> {
    let Some(p) = previous.filter(|p| is_packed(p)) else { return Ok(HashMap::new()) };
    Ok(read_manifest(p)?
        .entries
        .into_iter()
        .filter_map(|e| Some((e.path, (e.size, p.join(e.blob?), e.frames))))
        .collect())
}

/// Compress `input` into a new blob at `blob` (0600), frame by frame; returns the blob, the
/// bytes read, and each frame's compressed length.
fn compress_into(input: &mut impl Read, blob: &Path) -> std::io::Result<(File, u64, Vec<u64>)> {
    let mut out =
        BufWriter::with_capacity(BUF, std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(blob)?);
    let mut z = super::compress::frames()?;
    let mut buf = vec![0u8; FRAME as usize];
    let (mut lens, mut total) = (Vec::new(), 0u64);
    loop {
        let n = read_full(input, &mut buf)?;
        if n == 0 {
            break;
        }
        let frame = z.compress(&buf[..n])?;
        out.write_all(&frame)?;
        lens.push(frame.len() as u64);
        total += n as u64;
    }
    Ok((out.into_inner().map_err(|e| e.into_error())?, total, lens))
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
    let mut z = super::compress::frames()?;
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

/// Whether `blob` decompresses to exactly the contents of `file` (false when either cannot be
/// read).
fn same_as_blob(blob: &Path, file: &Path) -> bool {
    super::compress::equals_plain(blob, file).unwrap_or(false)
}

mod restore;
#[cfg(test)]
mod tests;

pub use restore::restore;
