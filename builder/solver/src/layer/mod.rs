//! Layers: a directory becomes a deterministic tar (tarball), compressed by
//! the store's layer encoder (pgzip or zstd on every core, both digests
//! computed on the way).

pub mod tarball;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub use skiff_store::layer_encoder::{Compression, Encoded, LayerEncoder};
pub use tarball::{write_dir_tar, TarOptions, TarStats};

/// Errors while turning a directory into a layer.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl LayerError {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        LayerError::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
}

/// Turn `dir` into a compressed layer blob written to `blob_path`. An empty
/// directory makes no layer: `None`, and nothing is written.
pub fn write_layer(
    dir: &Path,
    blob_path: &Path,
    compression: Compression,
    opts: &TarOptions,
) -> Result<Option<Encoded>, LayerError> {
    if tarball::dir_is_empty(dir)? {
        return Ok(None);
    }
    let file = File::create(blob_path).map_err(|e| LayerError::io(blob_path, e))?;
    let enc = LayerEncoder::new(BufWriter::with_capacity(1 << 20, file), compression)
        .map_err(|e| LayerError::io(blob_path, e))?;
    let (enc, _stats) = write_dir_tar(dir, enc, opts)?;
    let (mut out, encoded) = enc.finish().map_err(|e| LayerError::io(blob_path, e))?;
    out.flush().map_err(|e| LayerError::io(blob_path, e))?;
    let file = out
        .into_inner()
        .map_err(|e| LayerError::io(blob_path, e.into_error()))?;
    file.sync_all().map_err(|e| LayerError::io(blob_path, e))?;
    Ok(Some(encoded))
}
