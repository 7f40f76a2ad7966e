//! The WAL archive's cold part, compressed. PostgreSQL archives each segment plain (a copy, so
//! archiving keeps up with any load, and forks to recent instants replay at copy speed). Segments
//! older than the newest base backup's start are needed only by point-in-time forks to before
//! that backup; those are compressed with zstd (`NAME.zst`), which shrinks a bulk load's WAL
//! about four times. A fork that needs them gets them decompressed into its own staging
//! directory before it starts (`stage`), and its `restore_command` reads the plain archive first,
//! then the staging directory.

use std::fs::File;
use std::io::BufReader;
use std::io::BufWriter;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::conf;

use super::compress::EXT;
use super::wal::Segment;

/// What can go wrong in the cold archive.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(
        "this restore reads {} MiB of compressed WAL, which needs {} MiB free on {} (with {} MiB to spare \
         for the running services); {} MiB are free: free some space, or fork to a later time",
        need >> 20, need >> 20, path.display(), HEADROOM >> 20, free >> 20
    )]
    NoRoom { need: u64, free: u64, path: std::path::PathBuf },
    #[error("{}: {source}", path.display())]
    Damaged { path: std::path::PathBuf, source: std::io::Error },
}

/// Compress the plain segments of `archive` that lie before the segment `before` (a segment
/// name: segments of any timeline before its position), while `go_on()` says so. Each is
/// written to a temporary name, synced, renamed, the directory synced, and only then the plain
/// one removed; a crash leaves the plain segment, or both (identical), never neither. Returns the
/// bytes saved. Blocking.
pub fn compress_cold(archive: &Path, before: &Segment, go_on: impl Fn() -> bool) -> Result<u64, ArchiveError> {
    let mut names: Vec<String> =
        std::fs::read_dir(archive)?.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    names.sort();
    // Left by a crash mid-way.
    for n in names.iter().filter(|n| n.ends_with(".zst.partial")) {
        let _ = std::fs::remove_file(archive.join(n));
    }
    let dir = File::open(archive)?;
    let mut saved = 0;
    let cold = |n: &String| Segment::parse(n).is_some_and(|s| s.position() < before.position());
    for name in names.iter().filter(|n| cold(n)) {
        if !go_on() {
            break;
        }
        let plain = archive.join(name);
        let packed = archive.join(format!("{name}{EXT}"));
        let meta = std::fs::metadata(&plain)?;
        if packed.exists() {
            // A crash after the rename, or the server archived the segment again: drop the plain
            // one only if the compressed one holds exactly its bytes.
            if super::compress::equals_plain(&packed, &plain)? {
                std::fs::remove_file(&plain)?;
                saved += meta.len();
            } else {
                tracing::warn!("{} and {} differ; both kept", plain.display(), packed.display());
            }
            continue;
        }
        let tmp = archive.join(format!("{name}{EXT}.partial"));
        let written = (|| -> std::io::Result<u64> {
            let out = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            std::os::unix::fs::fchown(&out, Some(meta.uid()), Some(meta.gid()))?;
            let mut enc = super::compress::stream(BufWriter::with_capacity(super::compress::BUF, out))?;
            std::io::copy(&mut BufReader::with_capacity(1 << 20, File::open(&plain)?), &mut enc)?;
            let out = enc.finish()?.into_inner().map_err(|e| e.into_error())?;
            out.sync_all()?;
            Ok(out.metadata()?.len())
        })();
        let written = match written {
            Ok(w) => w,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
        };
        avn_util::crashsafe::persist(&tmp, &packed)?;
        std::fs::remove_file(&plain)?;
        saved += meta.len().saturating_sub(written);
    }
    dir.sync_all()?;
    Ok(saved)
}

/// WAL segments are 16 MiB (avn local never changes `--wal-segsize`).
const SEGMENT: u64 = 16 << 20;
/// Free space a restore leaves on the disk it shares with the running services.
const HEADROOM: u64 = 512 << 20;

/// Decompress into `staging` (created private to `owner`) every compressed segment of `archive`
/// from the position of `from` (a segment name) on: what a recovery that starts there may ask
/// for. Refused, with nothing written, when that would leave less than 512 MiB free on the
/// disk (the running services share it). Returns how many. Blocking.
pub fn stage(archive: &Path, from: &Segment, staging: &Path, owner: (u32, u32)) -> Result<usize, ArchiveError> {
    let mut wanted = Vec::new();
    for e in std::fs::read_dir(archive)? {
        let Ok(name) = e?.file_name().into_string() else { continue };
        match name.strip_suffix(EXT).and_then(Segment::parse) {
            Some(segment) if segment.position() >= from.position() => wanted.push(segment.name().to_string()),
            _ => {}
        }
    }
    if wanted.is_empty() {
        return Ok(0);
    }
    let need = wanted.len() as u64 * SEGMENT;
    let parent = staging.parent().unwrap_or(staging);
    let fs = nix::sys::statvfs::statvfs(parent).map_err(std::io::Error::from)?;
    let free = fs.blocks_available() as u64 * fs.fragment_size() as u64;
    if free < need + HEADROOM {
        return Err(ArchiveError::NoRoom { need, free, path: parent.to_path_buf() });
    }
    std::fs::create_dir(staging)?;
    std::fs::set_permissions(staging, std::fs::Permissions::from_mode(0o700))?;
    std::os::unix::fs::chown(staging, Some(owner.0), Some(owner.1))?;
    for segment in &wanted {
        let out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(staging.join(segment))?;
        std::os::unix::fs::fchown(&out, Some(owner.0), Some(owner.1))?;
        let mut w = BufWriter::with_capacity(1 << 20, out);
        let packed = archive.join(format!("{segment}{EXT}"));
        zstd::stream::copy_decode(File::open(&packed)?, &mut w)
            .map_err(|source| ArchiveError::Damaged { path: packed.clone(), source })?;
        w.flush()?;
    }
    Ok(wanted.len())
}

/// The `restore_command` of a fork: the source's plain archive first, then what was staged for
/// it. A segment that exists but cannot be copied, or that is only compressed (so was not staged),
/// or an archive that cannot be read at all, stops recovery with an error (exit status above 125)
/// instead of reading as the end of WAL.
pub fn restore_command(archive: &Path, staging: &Path) -> String {
    let a = conf::shell_word(&archive.to_string_lossy());
    let s = conf::shell_word(&staging.to_string_lossy());
    format!(
        "if ! test -d {a} || ! test -r {a} || ! test -x {a}; then echo \"avn local: cannot read the archive {a}\" >&2; exit 255; \
         elif test -f {a}/\"%f\"; then cp {a}/\"%f\" \"%p\" || exit 255; \
         elif test -f {s}/\"%f\"; then cp {s}/\"%f\" \"%p\" || exit 255; \
         elif test -f {a}/\"%f\"{EXT}; then echo \"avn local: %f is compressed in the archive and was not staged for this restore\" >&2; exit 255; \
         else exit 1; fi"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(name: &str) -> Segment {
        Segment::parse(name).unwrap()
    }

    const A: &str = "000000010000000000000001";
    const B: &str = "000000010000000000000002";
    const C: &str = "000000020000000000000003";

    #[test]
    fn cold_segments_are_compressed_and_staged_back_exactly() {
        let t = tempfile::tempdir().unwrap();
        let arch = t.path().join("archive");
        std::fs::create_dir(&arch).unwrap();
        let body = |seed: u8| (0..(1u32 << 20)).map(|i| ((i % 97) as u8).wrapping_add(seed)).collect::<Vec<u8>>();
        for (i, n) in [A, B, C].iter().enumerate() {
            std::fs::write(arch.join(n), body(i as u8)).unwrap();
        }
        std::fs::write(arch.join("00000002.history"), b"1\t0/3000000\tno recovery target specified\n").unwrap();
        let saved = compress_cold(&arch, &seg(C), || true).unwrap();
        assert!(saved > 1 << 20, "{saved}");
        let mut names: Vec<String> =
            std::fs::read_dir(&arch).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, [format!("{A}.zst"), format!("{B}.zst"), "00000002.history".into(), C.to_string()]);
        // Idempotent; a plain copy archived again beside its compressed one is dropped.
        std::fs::write(arch.join(B), body(1)).unwrap();
        compress_cold(&arch, &seg(C), || true).unwrap();
        assert!(!arch.join(B).exists());
        // Staging from B brings back B only (A is before it; C was never compressed).
        let staging = t.path().join("staging");
        let me = (nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw());
        assert_eq!(stage(&arch, &seg(B), &staging, me).unwrap(), 1);
        assert_eq!(std::fs::read(staging.join(B)).unwrap(), body(1));
        assert!(!staging.join(A).exists());
    }

    #[test]
    fn a_stop_request_leaves_the_rest_plain() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join(A), b"x").unwrap();
        assert_eq!(compress_cold(t.path(), &seg(C), || false).unwrap(), 0);
        assert!(t.path().join(A).exists());
    }

    #[test]
    fn restore_command_reads_plain_then_staged_and_refuses_an_unstaged_compressed_segment() {
        let t = tempfile::tempdir().unwrap();
        let (arch, staging, out) = (t.path().join("a"), t.path().join("s"), t.path().join("out"));
        for d in [&arch, &staging] {
            std::fs::create_dir(d).unwrap();
        }
        std::fs::write(arch.join(A), b"plain").unwrap();
        std::fs::write(staging.join(B), b"staged").unwrap();
        std::fs::write(arch.join(format!("{C}.zst")), b"zzz").unwrap();
        let cmd = restore_command(&arch, &staging);
        let run = |f: &str| {
            let c = cmd.replace("%f", f).replace("%p", &out.to_string_lossy());
            let st = std::process::Command::new("sh").arg("-c").arg(c).output().unwrap();
            (st.status.code(), std::fs::read(&out).unwrap_or_default())
        };
        assert_eq!(run(A), (Some(0), b"plain".to_vec()));
        assert_eq!(run(B), (Some(0), b"staged".to_vec()));
        assert_eq!(run(C).0, Some(255));
        assert_eq!(run("000000010000000000000009").0, Some(1));
        // An archive that is gone is not the end of WAL.
        std::fs::rename(&arch, t.path().join("moved")).unwrap();
        assert_eq!(run("000000010000000000000009").0, Some(255));
    }
}
