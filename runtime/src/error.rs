//! The runtime's error type. Each variant maps onto one of docker's exit
//! codes so the CLI can report it faithfully (see [`Error::exit_code`]).

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input from the user: a flag value, a missing image, a name clash.
    #[error("{0}")]
    Invalid(String),
    /// A container reference matched nothing.
    #[error("No such container: {0}")]
    NoSuchContainer(String),
    /// A volume reference matched nothing.
    #[error("No such volume: {0}")]
    NoSuchVolume(String),
    /// A filesystem or syscall failure, with what was being done.
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    /// A container's lock file could not be taken.
    #[error(transparent)]
    Lock(#[from] skiff_core::lock::LockError),
    /// A state or metadata file could not be replaced.
    #[error(transparent)]
    Write(#[from] skiff_core::atomic::AtomicWriteError),
    /// A path inside the container's rootfs that cannot be used safely (a
    /// symlink loop, a FIFO where a file belongs, ...), naming the path.
    #[error(transparent)]
    InRoot(#[from] skiff_core::inroot::InRootError),
    /// libcontainer or the container setup failed.
    #[error("{0}")]
    Runtime(String),
    /// The container could not be started, and why (docker's exit code).
    #[error("{message}")]
    Start {
        failure: crate::launch::StartFailure,
        message: String,
    },
    /// The image store failed.
    #[error("{0}")]
    Store(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// docker's exit code for this error: everything the runtime itself
    /// reports is a tool error (125); 126/127 come from the container's exit.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Start { failure, .. } => failure.exit_code(),
            _ => 125,
        }
    }
}

/// Wrap an io::Error with a sentence naming the path it concerns.
pub fn io_at(what: &str, path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        context: format!("{what} {}", path.display()),
        source,
    }
}

/// Wrap an io::Error with free-form context.
pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
    Error::Io {
        context: context.into(),
        source,
    }
}

/// Turn a nix errno into an io::Error so it fits [`Error::Io`].
pub fn errno(context: impl Into<String>, e: nix::errno::Errno) -> Error {
    io(context, std::io::Error::from_raw_os_error(e as i32))
}
