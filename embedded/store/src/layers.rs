//! Writing layers: an uncompressed tar goes in, a gzip blob plus its diff ID
//! (sha256 of the uncompressed tar) comes out, in one streaming pass through
//! the one [`LayerEncoder`]. Also the small per-layer facts the store
//! remembers (unpacked content size).

use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use oci_spec::image::Digest;

use crate::blobs::{BlobInfo, BlobWriter};
use crate::digest::{digest_hex, hashed};
use crate::error::{IoPath, Result};
use crate::layer_encoder::{Compression, LayerEncoder};
use crate::Store;

/// A layer stored as a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// Digest of the (compressed) blob.
    pub digest: Digest,
    /// Size of the blob in bytes.
    pub size: u64,
    /// sha256 of the uncompressed tar.
    pub diff_id: Digest,
    /// Layer media type (OCI or docker spelling, as the manifest will carry).
    pub media_type: String,
    /// Size of the uncompressed tar.
    pub uncompressed_size: u64,
}

/// Streams an uncompressed layer tar into a gzip blob. Dropping it without
/// `commit` stores nothing.
pub struct LayerWriter {
    inner: LayerEncoder<BlobWriter>,
}

/// gzip level of import and load when the caller does not choose: gzip -1
/// is ~3x faster than -6 with zlib-rs for a few percent more bytes, and
/// compression is the slow step of import.
const IMPORT_GZIP_LEVEL: u32 = 1;

impl LayerWriter {
    /// Finish compression, store the blob and return its facts. `media_type`
    /// is recorded as given (use [`crate::media::OCI_LAYER_GZIP`] or
    /// [`crate::media::DOCKER_LAYER_GZIP`]).
    pub fn commit(self, media_type: &str) -> Result<LayerInfo> {
        let (blob, encoded) = self.inner.finish().ctx(|| "finishing gzip stream".into())?;
        let BlobInfo { digest, size } = blob.commit()?;
        Ok(LayerInfo {
            digest,
            size,
            diff_id: hashed(encoded.diff_id),
            media_type: media_type.to_string(),
            uncompressed_size: encoded.uncompressed_size,
        })
    }
}

impl Write for LayerWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Store {
    /// Start a gzip layer. `level` 1-9 (default 1, `IMPORT_GZIP_LEVEL`).
    pub fn layer_writer(&self, level: Option<u32>) -> Result<LayerWriter> {
        let blob = self.blob_writer(None)?;
        let level = level.unwrap_or(IMPORT_GZIP_LEVEL);
        let inner = LayerEncoder::new(blob, Compression::Gzip(level))
            .ctx(|| "starting the gzip layer writer".into())?;
        Ok(LayerWriter { inner })
    }

    /// Store a rootfs tar (gzip, zstd or plain, detected by magic bytes) as a
    /// base layer: a gzip blob plus its snapshot, unpacked as it streams in.
    /// The caller should hold a [`Store::lease`] until the image is tagged.
    pub fn import_layer(
        &self,
        input: &mut dyn std::io::Read,
        media_type: &str,
    ) -> Result<LayerInfo> {
        let mut r =
            crate::compression::decompress(input, None).ctx(|| "reading the layer".into())?;
        // One pass over the input: tee the tar into the gzip writer and a
        // scratch unpack; the snapshot dir is renamed into place once the
        // diff ID (its chain ID, as a base layer) is known.
        let mut lw = self.layer_writer(None)?;
        let scratch = self.create_temp_dir("import")?;
        let result = (|| -> Result<LayerInfo> {
            let mut tee = TeeReader {
                r: &mut r,
                w: &mut lw,
            };
            let budget = crate::limits::Budget::new(crate::UnpackLimits::current()?, 0);
            let stats = crate::unpack::unpack_tar(&mut tee, &scratch, "(imported rootfs)", budget)?;
            if lw.inner.written() == 0 {
                return Err(crate::error::Error::InvalidArchive(
                    "the input is empty: expected a tar archive".into(),
                ));
            }
            let info = lw.commit(media_type)?;
            self.record_layer_size(&info.diff_id, stats.content_size)?;
            let dest = self.snapshot_path(&info.diff_id);
            let lock = self
                .locks_dir()
                .join(format!("snapshot-{}.lock", digest_hex(&info.diff_id)));
            let _g = crate::lock_file(&lock, crate::LockKind::Exclusive)?;
            if !dest.is_dir() {
                crate::snapshot_sync::sync_snapshot(&scratch).at(&scratch)?;
                fs::rename(&scratch, &dest).at(&dest)?;
                crate::tmp::sync_dir_best_effort(&self.snapshots_dir());
            }
            Ok(info)
        })();
        let _ = crate::tmp::remove_tree(&scratch);
        result
    }

    fn layer_meta_path(&self, diff_id: &Digest) -> PathBuf {
        self.root
            .join("images")
            .join("layers")
            .join(digest_hex(diff_id))
    }

    /// Record the unpacked content size of a layer (sum of its regular
    /// files, what docker reports as size).
    pub(crate) fn record_layer_size(&self, diff_id: &Digest, size: u64) -> Result<()> {
        let p = self.layer_meta_path(diff_id);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).at(parent)?;
        }
        self.write_file_atomic(&p, size.to_string().as_bytes())
    }

    /// Unpacked content size of a layer, when known.
    pub fn layer_size(&self, diff_id: &Digest) -> Option<u64> {
        fs::read_to_string(self.layer_meta_path(diff_id))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }
}

/// Copies everything read through it into a writer.
struct TeeReader<'a, R: ?Sized, W: ?Sized> {
    r: &'a mut R,
    w: &'a mut W,
}

impl<R: io::Read + ?Sized, W: Write + ?Sized> io::Read for TeeReader<'_, R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.r.read(buf)?;
        self.w.write_all(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::temp_store;
    use std::io::Read;

    // Import and load go through the same encoder as the build: one gzip
    // stream any gunzip reads, digests of the blob and of the tar.
    #[test]
    fn layer_writer_stores_gzip_with_both_digests() {
        let (_dir, s) = temp_store();
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut lw = s.layer_writer(None).unwrap();
        lw.write_all(&data).unwrap();
        let info = lw.commit(crate::media::OCI_LAYER_GZIP).unwrap();
        assert_eq!(info.diff_id, crate::digest::sha256_digest(&data));
        assert_eq!(info.uncompressed_size, data.len() as u64);
        let blob = s.read_blob(&info.digest).unwrap();
        assert_eq!(info.size, blob.len() as u64);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(blob.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
    }
}
