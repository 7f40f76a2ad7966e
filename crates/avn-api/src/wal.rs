//! PostgreSQL's write-ahead log positions and segment names, as both sides read them: the local
//! control plane (base backups, archive retention, forks) and the CLI (a rename waits until the
//! segment holding its fence is archived). Parsing and ordering only.
//!
//! - [`Lsn`]: a byte position in the WAL (`16/B374D848`), ordered as positions are;
//! - [`Segment`]: a WAL segment file name (`000000010000000000000002`: timeline, log, segment),
//!   ordered by position within a timeline.

use std::fmt;

/// A byte position in the WAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lsn(pub u64);

impl Lsn {
    /// `16/B374D848` → the position.
    pub fn parse(s: &str) -> Option<Lsn> {
        let (hi, lo) = s.split_once('/')?;
        Some(Lsn((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?))
    }

    /// Bytes from `earlier` to here (0 when `earlier` is not earlier).
    pub fn bytes_since(self, earlier: Lsn) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

/// A WAL segment's file name: 24 hex digits (timeline, log, segment).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Segment(String);

impl Segment {
    pub fn parse(name: &str) -> Option<Segment> {
        (name.len() == 24 && name.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Segment(name.to_string()))
    }

    pub fn name(&self) -> &str {
        &self.0
    }

    /// The timeline part.
    pub fn timeline(&self) -> &str {
        &self.0[..8]
    }

    /// The position part (log and segment, without the timeline): segments of every timeline
    /// compare by it.
    pub fn position(&self) -> &str {
        &self.0[8..]
    }

    /// Whether this segment is at or past `other`, on the same or a later timeline.
    pub fn reached(&self, other: &Segment) -> bool {
        self.position() >= other.position() && self.timeline() >= other.timeline()
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsns_and_segments_parse_and_order() {
        let l = Lsn::parse("16/B374D848").unwrap();
        assert_eq!(l, Lsn((0x16 << 32) | 0xB374D848));
        assert_eq!(l.to_string(), "16/B374D848");
        assert_eq!(Lsn::parse("nope"), None);
        assert!(Lsn::parse("0/2000028").unwrap() < Lsn::parse("1/0").unwrap());
        assert_eq!(Lsn(10).bytes_since(Lsn(20)), 0);
        let a = Segment::parse("000000010000000000000002").unwrap();
        let b = Segment::parse("000000020000000000000003").unwrap();
        assert!(b.reached(&a) && !a.reached(&b) && a.reached(&a));
        assert_eq!(b.position(), "0000000000000003");
        assert!(Segment::parse("00000002.history").is_none() && Segment::parse("0000000100000000000000zz").is_none());
    }
}
