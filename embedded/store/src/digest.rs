//! sha256 digests: parsing, hashing readers and writers.
//!
//! The store only holds sha256 content (what every registry and docker use);
//! other algorithms are rejected with a clear error rather than half-supported.

use std::io::{self, Read, Write};
use std::str::FromStr;

use oci_spec::image::Digest;
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};

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

/// True for exactly 64 lowercase hex digits.
pub fn is_full_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The hex part of a sha256 digest.
pub fn digest_hex(d: &Digest) -> &str {
    d.digest()
}

/// Digest of a byte slice.
pub fn sha256_digest(bytes: &[u8]) -> Digest {
    digest_from_hasher(Sha256::new_with_prefix(bytes))
}

pub(crate) fn digest_from_hasher(h: Sha256) -> Digest {
    let s = format!("sha256:{}", hex::encode(h.finalize()));
    Digest::from_str(&s).expect("sha256 output is a valid digest")
}

/// A writer that hashes what passes through it and counts bytes.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }
    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
    /// The inner writer, the digest and the byte count.
    pub fn finish(self) -> (W, Digest, u64) {
        (self.inner, digest_from_hasher(self.hasher), self.written)
    }
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
    pub fn get_ref(&self) -> &W {
        &self.inner
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what is read through it and counts bytes.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            read: 0,
        }
    }
    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }
    /// Digest and byte count of everything read so far.
    pub fn finish(self) -> (R, Digest, u64) {
        (self.inner, digest_from_hasher(self.hasher), self.read)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
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

    #[test]
    fn hashing_writer_matches_one_shot() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (buf, d, n) = w.finish();
        assert_eq!(n, 11);
        assert_eq!(d, sha256_digest(&buf));
    }
}
