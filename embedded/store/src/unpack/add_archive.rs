//! `ADD <local archive>`: BuildKit unpacks a source file when, after
//! decompression by magic bytes (gzip, bzip2, xz, zstd or none), a tar
//! header reads from it (`isArchivePath`: Go's `tar.Reader.Next`, which
//! checks the header checksum, not the `ustar` magic). It goes through the
//! same hostile-safe unpacker as image layers, under the layer budget.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::compression::decompress;
use crate::error::{Error, Result};
use crate::limits::{Budget, UnpackLimits};

/// True when `path` is a regular file holding a (compressed) tar.
pub fn is_tar_archive(path: &Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => {}
        _ => return false,
    }
    let Ok(f) = File::open(path) else {
        return false;
    };
    let Ok(r) = decompress(BufReader::new(f), None) else {
        return false;
    };
    // Only the first header is read; an empty or all-zero file is not one.
    let mut ar = tar::Archive::new(r.take(64 << 10));
    let Ok(mut entries) = ar.entries() else {
        return false;
    };
    matches!(entries.next(), Some(Ok(_)))
}

/// Unpack the archive at `path` into the directory `dest` (which may
/// already hold files). `name` is the source's name in errors.
pub fn unpack_add_archive(path: &Path, dest: &Path, name: &str) -> Result<()> {
    let f = File::open(path).map_err(|e| Error::Unpack {
        layer: name.to_string(),
        entry: String::new(),
        source: e,
    })?;
    let r = decompress(BufReader::new(f), None).map_err(|e| Error::Unpack {
        layer: name.to_string(),
        entry: String::new(),
        source: e,
    })?;
    let limits = UnpackLimits::current()?;
    super::unpack_tar(r, dest, name, Budget::new(limits, 0))?;
    Ok(())
}
