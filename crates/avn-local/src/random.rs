//! Random tokens and passwords from the operating system's generator.

/// What tokens, passwords and instance ids are made of.
pub const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `len` random lower-case alphanumerics, uniformly distributed: bytes at or above the largest
/// multiple of the alphabet's size are thrown away (no modulo bias).
pub fn random_string(len: usize) -> String {
    let limit = 256 - 256 % ALPHABET.len();
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).expect("the operating system's random generator is available");
        for &b in buf.iter().filter(|&&b| usize::from(b) < limit) {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_have_the_length_and_alphabet_asked_for_and_differ() {
        for len in [0, 1, 24, 40, 200] {
            let s = random_string(len);
            assert_eq!(s.len(), len);
            assert!(s.bytes().all(|b| ALPHABET.contains(&b)), "{s}");
        }
        assert_ne!(random_string(24), random_string(24));
        // Every symbol turns up: nothing in the alphabet is unreachable.
        let many = random_string(4000);
        assert!(ALPHABET.iter().all(|c| many.as_bytes().contains(c)));
    }
}
