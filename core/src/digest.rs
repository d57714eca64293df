//! sha256 hashing readers and writers: a layer, a blob or a context file is
//! hashed in the same pass that writes or reads it, never read twice.
//!
//! Digests are `sha256:<64 lowercase hex>` strings here; crates that need
//! oci-spec's `Digest` parse that string (it is always valid).

use std::io::{self, Read, Write};

use sha2::{Digest as _, Sha256};

/// `sha256:<hex>` of a byte string.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// `sha256:<hex>` of a finished hasher.
pub fn finish_hasher(h: Sha256) -> String {
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// True for exactly 64 lowercase hex digits (the part after `sha256:`).
pub fn is_full_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A writer that hashes and counts what passes through it.
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
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
    pub fn get_ref(&self) -> &W {
        &self.inner
    }
    /// The sink, `sha256:<hex>` of everything written, and its length.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, finish_hasher(self.hasher), self.written)
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

/// A reader that hashes and counts what is read through it.
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
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
    /// The source, `sha256:<hex>` of everything read, and its length.
    pub fn finish(self) -> (R, String, u64) {
        (self.inner, finish_hasher(self.hasher), self.read)
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
    fn writer_and_reader_match_one_shot() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (buf, d, n) = w.finish();
        assert_eq!((n, d.clone()), (11, sha256_digest(&buf)));
        let mut r = HashingReader::new(&b"hello world"[..]);
        io::copy(&mut r, &mut io::sink()).unwrap();
        assert_eq!(r.finish().1, d);
        assert!(is_full_hex(&d["sha256:".len()..]));
        assert!(!is_full_hex("ABC"));
    }
}
