//! Content-addressed blobs under `blobs/sha256/<hex>`.
//!
//! Writes go to a private temp file in `tmp/` (same filesystem), are hashed on
//! the way, fsynced, checked against the expected digest and renamed into
//! place. rename(2) is atomic, so a reader sees either no blob or the whole
//! verified blob, and two processes writing the same blob both succeed with
//! one copy (the second rename replaces identical bytes).

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use oci_spec::image::Digest;

use crate::digest::{digest_hex, hashed, HashingWriter};
use crate::error::{Error, IoPath, Result};
use crate::tmp::sync_dir_best_effort;
use crate::Store;

/// Digest and size of a stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub digest: Digest,
    pub size: u64,
}

/// Streams a blob into the store. Dropping it without [`BlobWriter::commit`]
/// removes the temp file, so an aborted download leaves nothing behind.
pub struct BlobWriter {
    out: Option<HashingWriter<BufWriter<File>>>,
    tmp_path: PathBuf,
    blobs_dir: PathBuf,
    expected: Option<Digest>,
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("tmp_path", &self.tmp_path)
            .field("expected", &self.expected)
            .finish()
    }
}

impl BlobWriter {
    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.out.as_ref().map(|o| o.written()).unwrap_or(0)
    }

    /// The temp file being written (in `<root>/tmp`).
    pub fn temp_path(&self) -> &Path {
        &self.tmp_path
    }

    /// Flush, fsync, verify the digest (when one was expected) and move the
    /// blob into place. Idempotent when the blob already exists.
    pub fn commit(mut self) -> Result<BlobInfo> {
        let out = self.out.take().expect("commit consumes the writer once");
        let (buf, digest, size) = out.finish();
        let digest = hashed(digest);
        let file = buf
            .into_inner()
            .map_err(|e| e.into_error())
            .at(&self.tmp_path)?;
        file.sync_all().at(&self.tmp_path)?;
        drop(file);
        if let Some(expected) = &self.expected {
            if expected != &digest {
                let _ = fs::remove_file(&self.tmp_path);
                return Err(Error::DigestMismatch {
                    expected: expected.to_string(),
                    actual: digest.to_string(),
                });
            }
        }
        let dest = self.blobs_dir.join(digest_hex(&digest));
        fs::rename(&self.tmp_path, &dest).at(&dest)?;
        sync_dir_best_effort(&self.blobs_dir);
        Ok(BlobInfo { digest, size })
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.out {
            Some(o) => o.write(buf),
            None => Err(io::Error::other("blob writer already committed")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Some(o) => o.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if self.out.is_some() {
            self.out = None;
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}

impl Store {
    /// Directory holding sha256 blobs.
    pub fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    /// Where the blob with this digest lives (whether or not it exists).
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blobs_dir().join(digest_hex(digest))
    }

    /// Start writing a blob. With `expected`, commit fails (and stores
    /// nothing) unless the content hashes to it.
    pub fn blob_writer(&self, expected: Option<&Digest>) -> Result<BlobWriter> {
        let (file, tmp_path) = self.create_temp_file("blob")?;
        Ok(BlobWriter {
            out: Some(HashingWriter::new(BufWriter::with_capacity(
                256 << 10,
                file,
            ))),
            tmp_path,
            blobs_dir: self.blobs_dir(),
            expected: expected.cloned(),
        })
    }

    /// Store bytes as a blob.
    pub fn put_blob(&self, bytes: &[u8], expected: Option<&Digest>) -> Result<BlobInfo> {
        if let Some(d) = expected {
            if self.has_blob(d) {
                return Ok(BlobInfo {
                    digest: d.clone(),
                    size: self.blob_size(d)?,
                });
            }
        }
        let mut w = self.blob_writer(expected)?;
        w.write_all(bytes)
            .ctx(|| format!("writing blob to {}", w.temp_path().display()))?;
        w.commit()
    }

    /// Store what a reader yields as a blob.
    pub fn put_blob_from(&self, r: &mut dyn Read, expected: Option<&Digest>) -> Result<BlobInfo> {
        let mut w = self.blob_writer(expected)?;
        io::copy(r, &mut w).ctx(|| format!("writing blob to {}", w.temp_path().display()))?;
        w.commit()
    }

    /// Whether the blob is in the store.
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Open a blob for reading.
    pub fn open_blob(&self, digest: &Digest) -> Result<File> {
        let p = self.blob_path(digest);
        File::open(&p).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                Error::BlobNotFound(digest.to_string())
            } else {
                Error::Io { path: p, source: e }
            }
        })
    }

    /// Read a whole blob (manifests, configs: small documents).
    pub fn read_blob(&self, digest: &Digest) -> Result<Vec<u8>> {
        let mut f = self.open_blob(digest)?;
        let mut v = Vec::new();
        f.read_to_end(&mut v).at(self.blob_path(digest))?;
        Ok(v)
    }

    /// Size in bytes of a stored blob.
    pub fn blob_size(&self, digest: &Digest) -> Result<u64> {
        let p = self.blob_path(digest);
        match fs::metadata(&p) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(Error::BlobNotFound(digest.to_string()))
            }
            Err(e) => Err(Error::Io { path: p, source: e }),
        }
    }

    /// Every blob digest in the store.
    pub fn list_blobs(&self) -> Result<Vec<Digest>> {
        let dir = self.blobs_dir();
        let mut out = Vec::new();
        for e in fs::read_dir(&dir).at(&dir)? {
            let e = e.at(&dir)?;
            if let Some(name) = e.file_name().to_str() {
                if let Ok(d) = crate::digest::parse_digest(&format!("sha256:{name}")) {
                    out.push(d);
                }
            }
        }
        Ok(out)
    }

    /// Remove a blob (GC only: callers must hold the GC lock).
    pub(crate) fn delete_blob(&self, digest: &Digest) -> Result<()> {
        let p = self.blob_path(digest);
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Io { path: p, source: e }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha256_digest;
    use crate::testutil::temp_store;

    #[test]
    fn blob_roundtrip_and_idempotent() {
        let (_dir, s) = temp_store();
        let d = sha256_digest(b"abc");
        let a = s.put_blob(b"abc", Some(&d)).unwrap();
        let mut w = s.blob_writer(None).unwrap();
        w.write_all(b"abc").unwrap();
        let b = w.commit().unwrap();
        assert_eq!(a, b);
        assert_eq!(s.read_blob(&d).unwrap(), b"abc");
        assert_eq!(s.blob_size(&d).unwrap(), 3);
        assert_eq!(fs::read_dir(s.tmp_dir()).unwrap().count(), 0);
    }

    #[test]
    fn wrong_digest_stores_nothing() {
        let (_dir, s) = temp_store();
        let d = sha256_digest(b"abc");
        let err = s.put_blob(b"abd", Some(&d)).unwrap_err();
        assert!(err.to_string().contains(&d.to_string()), "{err}");
        assert!(!s.has_blob(&d));
        assert!(!s.has_blob(&sha256_digest(b"abd")));
        assert_eq!(fs::read_dir(s.tmp_dir()).unwrap().count(), 0);
    }

    #[test]
    fn dropped_writer_leaves_no_temp() {
        let (_dir, s) = temp_store();
        let mut w = s.blob_writer(None).unwrap();
        w.write_all(b"partial").unwrap();
        drop(w);
        assert_eq!(fs::read_dir(s.tmp_dir()).unwrap().count(), 0);
    }
}
