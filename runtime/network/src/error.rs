//! The crate's error type.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The network store's (or the host's) lock could not be taken.
    #[error(transparent)]
    Lock(#[from] skiff_core::lock::LockError),
    /// A network or endpoint record could not be replaced.
    #[error(transparent)]
    Write(#[from] skiff_core::atomic::AtomicWriteError),
    /// A netlink request the kernel refused.
    #[error("netlink: {what}: {source}")]
    Netlink {
        what: String,
        source: std::io::Error,
    },
    /// Bad user input (a `-p` spec, a subnet, a network name).
    #[error("{0}")]
    Invalid(String),
    #[error("network {0} not found")]
    NoSuchNetwork(String),
    /// docker's wording for a host port already published.
    #[error("Bind for {0} failed: port is already allocated")]
    PortAllocated(String),
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io_at(what: &'static str, path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn nl(what: impl Into<String>, source: std::io::Error) -> Error {
    Error::Netlink {
        what: what.into(),
        source,
    }
}
