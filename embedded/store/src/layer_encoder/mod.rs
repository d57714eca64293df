//! The one layer encoder: tar stream → compressed blob, computing in the
//! same pass the blob digest (what manifests reference) and the diff_id
//! (sha256 of the uncompressed tar, what image configs list). Compression
//! runs on every core (block-parallel gzip, pgzip) or on its own thread
//! (zstd). Used by import and load ([`crate::Store::layer_writer`]) and by
//! the builder.

pub mod pgzip;
pub mod zstd;

use std::io::{self, Write};
use std::str::FromStr;

use self::pgzip::ParallelGzip;
use self::zstd::ZstdWriter;
use crate::digest::HashingWriter;
use crate::media;

/// Layer compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip at this level (1-9), on every core.
    Gzip(u32),
    /// zstd, ruzstd's fastest level.
    Zstd,
    /// Plain tar.
    None,
}

/// gzip level used when the user does not choose: level 6 is what docker
/// and BuildKit use, so layer sizes match theirs.
pub const DEFAULT_GZIP_LEVEL: u32 = 6;

impl Default for Compression {
    fn default() -> Self {
        Compression::Gzip(DEFAULT_GZIP_LEVEL)
    }
}

impl FromStr for Compression {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "gzip" => Ok(Compression::default()),
            "zstd" => Ok(Compression::Zstd),
            "uncompressed" | "none" => Ok(Compression::None),
            other => Err(format!(
                "unknown compression {other:?} (expected gzip, zstd or uncompressed)"
            )),
        }
    }
}

impl Compression {
    /// OCI media type of a layer compressed this way.
    pub fn oci_media_type(self) -> &'static str {
        match self {
            Compression::Gzip(_) => media::OCI_LAYER_GZIP,
            Compression::Zstd => media::OCI_LAYER_ZSTD,
            Compression::None => media::OCI_LAYER_TAR,
        }
    }

    /// Docker schema2 media type, when docker has one (not for zstd).
    pub fn docker_media_type(self) -> Option<&'static str> {
        match self {
            Compression::Gzip(_) => Some(media::DOCKER_LAYER_GZIP),
            Compression::Zstd => None,
            Compression::None => Some(media::DOCKER_LAYER_TAR),
        }
    }
}

/// What a finished layer blob is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// `sha256:` of the compressed blob.
    pub digest: String,
    /// Size of the compressed blob.
    pub size: u64,
    /// `sha256:` of the uncompressed tar.
    pub diff_id: String,
    /// Size of the uncompressed tar.
    pub uncompressed_size: u64,
    pub compression: Compression,
}

enum Stage<W: Write + Send + 'static> {
    Gzip(ParallelGzip<HashingWriter<W>>),
    Zstd(ZstdWriter<HashingWriter<W>>),
    Plain(HashingWriter<W>),
}

/// Write a tar into this; `finish` gives the sink and both digests.
pub struct LayerEncoder<W: Write + Send + 'static> {
    diff: HashingWriter<io::Sink>,
    stage: Stage<W>,
    compression: Compression,
}

impl<W: Write + Send + 'static> LayerEncoder<W> {
    pub fn new(out: W, compression: Compression) -> io::Result<Self> {
        let hashed = HashingWriter::new(out);
        let stage = match compression {
            Compression::Gzip(level) => {
                let threads = std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1);
                Stage::Gzip(ParallelGzip::new(hashed, level.clamp(1, 9), threads)?)
            }
            Compression::Zstd => Stage::Zstd(ZstdWriter::new(hashed)),
            Compression::None => Stage::Plain(hashed),
        };
        Ok(LayerEncoder {
            diff: HashingWriter::new(io::sink()),
            stage,
            compression,
        })
    }

    /// Uncompressed bytes written so far.
    pub fn written(&self) -> u64 {
        self.diff.written()
    }

    pub fn finish(self) -> io::Result<(W, Encoded)> {
        let hashed = match self.stage {
            Stage::Gzip(g) => g.finish()?,
            Stage::Zstd(z) => z.finish()?,
            Stage::Plain(p) => p,
        };
        let (out, digest, size) = hashed.finish();
        let (_, diff_id, uncompressed_size) = self.diff.finish();
        Ok((
            out,
            Encoded {
                digest,
                size,
                diff_id,
                uncompressed_size,
                compression: self.compression,
            },
        ))
    }
}

impl<W: Write + Send + 'static> Write for LayerEncoder<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match &mut self.stage {
            Stage::Gzip(g) => g.write_all(data)?,
            Stage::Zstd(z) => z.write_all(data)?,
            Stage::Plain(p) => p.write_all(data)?,
        }
        self.diff.write_all(data)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.stage {
            Stage::Gzip(g) => g.flush(),
            Stage::Zstd(z) => z.flush(),
            Stage::Plain(p) => p.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    use skiff_core::digest::sha256_digest;

    #[test]
    fn digests_match_content() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 97) as u8).collect();
        for c in [Compression::Gzip(6), Compression::Zstd, Compression::None] {
            let mut e = LayerEncoder::new(Vec::new(), c).unwrap();
            e.write_all(&data).unwrap();
            let (blob, enc) = e.finish().unwrap();
            assert_eq!(enc.diff_id, sha256_digest(&data));
            assert_eq!(enc.uncompressed_size, data.len() as u64);
            assert_eq!(enc.digest, sha256_digest(&blob));
            assert_eq!(enc.size, blob.len() as u64);
            if c == Compression::Gzip(6) {
                let mut back = Vec::new();
                flate2::read::GzDecoder::new(blob.as_slice())
                    .read_to_end(&mut back)
                    .unwrap();
                assert_eq!(back, data);
            }
        }
    }
}
