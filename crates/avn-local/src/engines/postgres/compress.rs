//! The one compression seam of the PostgreSQL engine: packed base backups and the cold WAL
//! archive both use zstd at [`LEVEL`], with a content checksum in every frame (a damaged file
//! fails to decompress instead of restoring wrong bytes), and compare what they wrote with the
//! plain file the same way ([`equals_plain`]).

use std::fs::File;
use std::io::BufReader;
use std::io::Read;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Fast enough to pack a backup at disk speed; pgbench's data shrinks about 40 times, WAL about 4.
pub const LEVEL: i32 = 1;
/// The extension of a compressed file.
pub const EXT: &str = ".zst";
/// The part of a file each frame of a packed blob holds: a restore decompresses the frames of
/// even one large file on every core.
pub const FRAME: u64 = 16 << 20;
/// Read and write buffers.
pub const BUF: usize = 1 << 20;

/// A compressor of whole frames (packed blobs), checksummed.
pub fn frames() -> std::io::Result<zstd::bulk::Compressor<'static>> {
    let mut z = zstd::bulk::Compressor::new(LEVEL)?;
    z.set_parameter(zstd::stream::raw::CParameter::ChecksumFlag(true))?;
    Ok(z)
}

/// A streaming compressor into `w` (WAL segments), checksummed.
pub fn stream<W: Write>(w: W) -> std::io::Result<zstd::stream::write::Encoder<'static, W>> {
    let mut enc = zstd::stream::write::Encoder::new(w, LEVEL)?;
    enc.include_checksum(true)?;
    Ok(enc)
}

/// Whether `compressed` decompresses to exactly the contents of `plain` (never read through a
/// symlink put in its place). Compared a buffer at a time: neither is held in memory whole.
pub fn equals_plain(compressed: &Path, plain: &Path) -> std::io::Result<bool> {
    let mut a = zstd::stream::read::Decoder::new(File::open(compressed)?)?;
    let mut b = BufReader::with_capacity(BUF, open_nofollow(plain)?);
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
}

/// Open a file of the server's to read it, never through a symlink put in its place.
pub fn open_nofollow(p: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new().read(true).custom_flags(nix::libc::O_NOFOLLOW).open(p)
}

/// Read until `buf` is full or the input ends; returns the bytes read.
pub fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_compressed_compares_equal_to_its_plain_file_and_only_to_it() {
        let t = tempfile::tempdir().unwrap();
        let (plain, packed, other) = (t.path().join("p"), t.path().join("p.zst"), t.path().join("o"));
        let data: Vec<u8> = (0..3 * BUF + 17).map(|i| (i % 251) as u8).collect();
        std::fs::write(&plain, &data).unwrap();
        let mut enc = stream(File::create(&packed).unwrap()).unwrap();
        enc.write_all(&data).unwrap();
        enc.finish().unwrap();
        assert!(equals_plain(&packed, &plain).unwrap());
        std::fs::write(&other, &data[..data.len() - 1]).unwrap();
        assert!(!equals_plain(&packed, &other).unwrap());
        let frame = frames().unwrap().compress(b"abc").unwrap();
        assert_eq!(zstd::bulk::decompress(&frame, 3).unwrap(), b"abc");
    }
}
