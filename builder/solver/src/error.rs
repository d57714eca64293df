//! Build errors. A failing step carries the Dockerfile and line, so the CLI
//! can print `Dockerfile:12` like BuildKit does.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A step failed: where it is, what it was, why.
    #[error("{file}:{line}: {instruction}: {message}")]
    Step {
        file: String,
        line: usize,
        instruction: String,
        message: String,
        /// Exit code of a failed RUN.
        exit_code: Option<i32>,
        /// Last lines of a failed RUN's output.
        output_tail: Vec<String>,
    },
    /// The Dockerfile itself is invalid.
    #[error("{0}")]
    Dockerfile(String),
    #[error("build context: {0}")]
    Context(String),
    #[error("{0}")]
    Store(#[from] skiff_store::Error),
    #[error("{0}")]
    Layer(#[from] crate::layer::LayerError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Registry(String),
    /// A base image has no manifest for the platform built for (BuildKit's
    /// "no match for platform in manifest"): a failed solve, not a skiff
    /// error.
    #[error("{0}")]
    NoMatchingPlatform(String),
    #[error("{0}")]
    Unsupported(String),
    /// An exporter failed: which output (`exporting OCI archive to out.tar`)
    /// and why.
    #[error("{what}: {cause}")]
    Export {
        what: String,
        cause: Box<BuildError>,
    },
}

impl BuildError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BuildError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = BuildError> = std::result::Result<T, E>;

/// `.map_err(io_at(path))` shorthand.
pub fn io_at<P: Into<PathBuf>>(path: P) -> impl FnOnce(std::io::Error) -> BuildError {
    move |e| BuildError::io(path, e)
}
