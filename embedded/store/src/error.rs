//! The store's error type. Every variant names the thing it is about (a path,
//! a digest, a reference, a tar entry) so the CLI can print it as is.

use std::path::PathBuf;

/// Errors of the image store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a named path.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A lock file that could not be opened or locked (names the file).
    #[error(transparent)]
    Lock(#[from] skiff_core::lock::LockError),

    /// An I/O error while doing something that is not about one path.
    #[error("{context}: {source}")]
    IoContext {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// Content did not hash to the digest it was announced with.
    #[error("digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch { expected: String, actual: String },

    /// A string that is not a valid sha256 digest.
    #[error("invalid digest {0:?}: expected sha256:<64 hex digits>")]
    InvalidDigest(String),

    /// A string that is not a valid image reference.
    #[error("invalid reference format {reference:?}: {reason}")]
    InvalidReference { reference: String, reason: String },

    /// No image matches the name, ID or digest.
    #[error("No such image: {0}")]
    ImageNotFound(String),

    /// A short ID matches several images.
    #[error("{0}: ambiguous image ID prefix, it matches several images")]
    AmbiguousId(String),

    /// A blob is referenced but not in the store.
    #[error("blob {0} is not in the store")]
    BlobNotFound(String),

    /// A JSON document (manifest, config, index, archive metadata) is invalid.
    #[error("{what}: invalid JSON: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },

    /// A manifest, index or config that parses but cannot be used.
    #[error("{0}")]
    InvalidImage(String),

    /// No manifest of the image for the wanted platform is in the store:
    /// `listed` when its index names one (pull it), otherwise the image has
    /// none (`available` lists what it has; never a fallback to another
    /// architecture).
    #[error("{}", no_platform_text(reference, platform, available, *listed))]
    NoMatchingPlatform {
        reference: String,
        platform: String,
        available: String,
        listed: bool,
    },

    /// A layer entry that would write outside the snapshot, or that cannot be
    /// represented safely. `entry` is the path as written in the tar.
    #[error("layer {layer}: refused entry {entry:?}: {reason}")]
    UnsafeEntry {
        layer: String,
        entry: String,
        reason: String,
    },

    /// A layer tar that cannot be read or applied.
    #[error("layer {layer}: entry {entry:?}: {source}")]
    Unpack {
        layer: String,
        entry: String,
        #[source]
        source: std::io::Error,
    },

    /// An archive given to `load` that is neither docker-archive nor OCI layout.
    #[error("{0}")]
    InvalidArchive(String),

    /// The image cannot be removed (in use, or tagged in several repositories).
    #[error("{0}")]
    Conflict(String),
}

fn no_platform_text(reference: &str, platform: &str, available: &str, listed: bool) -> String {
    if listed {
        format!(
            "image {reference}: platform {platform} is not in the store (present: {available}); pull it with --platform {platform}"
        )
    } else {
        format!("image {reference} has no manifest for platform {platform} (it has: {available})")
    }
}

/// Result alias of the store.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attach a path to an io::Error.
pub(crate) trait IoPath<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T>;
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoPath<T> for std::io::Result<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|source| Error::Io {
            path: path.into(),
            source,
        })
    }
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::IoContext {
            context: context(),
            source,
        })
    }
}
