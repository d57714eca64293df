//! Errors of this crate.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An OCI device rule that the kernel's device controller would refuse
    /// too (`index` is its position in `linux.resources.devices`).
    #[error("linux.resources.devices[{index}]: {message}")]
    InvalidRule { index: usize, message: String },
    /// The rules compile to more instructions than a jump can span; never
    /// expected for a real allow-list (thousands of rules).
    #[error("device rules compile to a program too large for eBPF jumps ({0} instructions)")]
    TooLarge(usize),
    /// bpf(2) failed. `log` holds the verifier's message when there is one.
    #[error("bpf {op}: {source}{}", if log.is_empty() { String::new() } else { format!(": {log}") })]
    Bpf {
        op: &'static str,
        source: std::io::Error,
        log: String,
    },
    /// A cgroup directory or file could not be used.
    #[error("cgroup {}: {source}", path.display())]
    Cgroup {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn bpf(op: &'static str, source: std::io::Error) -> Error {
        Error::Bpf {
            op,
            source,
            log: String::new(),
        }
    }

    pub(crate) fn cgroup(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Cgroup {
            path: path.into(),
            source,
        }
    }
}
