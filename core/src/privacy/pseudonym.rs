//! Keyed pseudonyms: HMAC-SHA-256 (RFC 2104 over FIPS 180-4) of the id under a key the caller
//! holds and stores apart from the pseudonymised data (GB/T 35273 §6.2). The same id gets the
//! same pseudonym under one key; without the key, pseudonyms cannot be linked back or across keys.

use crate::error::{Error, ErrorCode, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// Shortest key accepted: 16 bytes (128 bits). A documented setting of this module: NIST SP
/// 800-107 asks for an HMAC key of at least the security strength wanted; 128 bits is the floor
/// chosen here, 32 random bytes are recommended.
pub const MIN_KEY_BYTES: usize = 16;

/// Every pseudonym starts with this (so a pseudonym is never mistaken for a raw id).
pub const PSEUDONYM_PREFIX: &str = "p-";

/// A pseudonymiser holding a key. Its `Debug` never shows the key.
///
/// ```
/// use changkaixin_core::privacy::Pseudonymiser;
/// let p = Pseudonymiser::new(b"synthetic-key-0123456789abcdef").unwrap();
/// let a = p.pseudonym("stu-0001");
/// assert_eq!(a, p.pseudonym("stu-0001"));                        // stable under one key
/// assert_eq!(a.len(), 2 + 32);                                   // "p-" + 128 bits in hex
/// let q = Pseudonymiser::new(b"another-synthetic-key-987654321").unwrap();
/// assert_ne!(a, q.pseudonym("stu-0001"));                        // unlinkable across keys
/// assert!(!format!("{p:?}").contains("synthetic-key"));
/// assert_eq!(Pseudonymiser::new(b"short").unwrap_err().code(), "privacy.invalid");
/// ```
#[derive(Clone)]
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pseudonymiser { key: <redacted> }")
    }
}

impl Pseudonymiser {
    /// A pseudonymiser under `key` (at least [`MIN_KEY_BYTES`] bytes).
    pub fn new(key: &[u8]) -> Result<Pseudonymiser> {
        if key.len() < MIN_KEY_BYTES {
            return Err(Error::new(
                ErrorCode::PrivacyInvalid,
                "/key",
                format!("a pseudonymisation key needs at least {MIN_KEY_BYTES} bytes, found {}", key.len()),
            ));
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| Error::new(ErrorCode::PrivacyInvalid, "/key", "the key is not usable for HMAC"))?;
        Ok(Pseudonymiser { mac })
    }

    /// The pseudonym of one id: `p-` + the first 128 bits of HMAC-SHA-256(key, id) in lower-case hex.
    pub fn pseudonym(&self, id: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(id.as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut out = String::with_capacity(PSEUDONYM_PREFIX.len() + 32);
        out.push_str(PSEUDONYM_PREFIX);
        for b in tag.iter().take(16) {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out
    }

    /// A column of ids → the column of their pseudonyms, in order (`None` stays `None`).
    pub fn column<S: AsRef<str>>(&self, ids: &[Option<S>]) -> Vec<Option<String>> {
        ids.iter().map(|id| id.as_ref().map(|s| self.pseudonym(s.as_ref()))).collect()
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";
