//! sha256 digests as oci-spec `Digest`s: parsing, and the store's face of
//! `skiff_core::digest` (whose hashing readers and writers give
//! `sha256:<hex>` strings; [`hashed`] turns one into a `Digest`).
//!
//! The store only holds sha256 content (what every registry and docker use);
//! other algorithms are rejected with a clear error rather than half-supported.

use std::str::FromStr;

use oci_spec::image::Digest;

use crate::error::{Error, Result};

pub use skiff_core::digest::{is_full_hex, HashingReader, HashingWriter};

/// Parse `sha256:<64 lowercase hex>` into a digest.
pub fn parse_digest(s: &str) -> Result<Digest> {
    let hex = s
        .strip_prefix("sha256:")
        .ok_or_else(|| Error::InvalidDigest(s.to_string()))?;
    if !is_full_hex(hex) {
        return Err(Error::InvalidDigest(s.to_string()));
    }
    Digest::from_str(s).map_err(|_| Error::InvalidDigest(s.to_string()))
}

/// The hex part of a sha256 digest.
pub fn digest_hex(d: &Digest) -> &str {
    d.digest()
}

/// Digest of a byte slice.
pub fn sha256_digest(bytes: &[u8]) -> Digest {
    hashed(skiff_core::digest::sha256_digest(bytes))
}

/// The `Digest` of a `sha256:<hex>` string that core's hashing produced.
pub(crate) fn hashed(s: String) -> Digest {
    Digest::from_str(&s).expect("sha256 output is a valid digest")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_digest_is_the_well_known_one() {
        assert_eq!(
            sha256_digest(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parse_rejects_bad_digests() {
        assert!(parse_digest("sha256:abc").is_err());
        assert!(parse_digest(
            "md5:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        .is_err());
        assert!(parse_digest(
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
        )
        .is_err());
        let d =
            parse_digest("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
                .unwrap();
        assert_eq!(digest_hex(&d).len(), 64);
    }
}
