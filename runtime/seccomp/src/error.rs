//! Errors of this crate.

/// Everything that can go wrong parsing, compiling or installing a profile.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The JSON does not parse; `path` is the JSON path of the bad field.
    #[error("seccomp profile: {path}: {message}")]
    Parse { path: String, message: String },
    /// The profile parses but a field's value cannot be used.
    #[error("seccomp profile: {field}: {message}")]
    Invalid { field: String, message: String },
    /// The program would exceed the kernel's BPF_MAXINSNS (4096).
    #[error("seccomp profile compiles to {0} BPF instructions; the kernel accepts at most 4096")]
    TooLarge(usize),
    /// A generator bug caught by the kernel-rules check; never expected.
    #[error("seccomp: internal error: generated program is invalid: {0}")]
    Internal(String),
    /// seccomp(2) / prctl(2) refused the filter. Holds no heap data so it can
    /// be built in a freshly forked child.
    #[error("seccomp: {call} failed: {}", std::io::Error::from_raw_os_error(*errno))]
    Install { call: &'static str, errno: i32 },
}

impl Error {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The errno of a failed install, for the caller's own error reporting.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Install { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}
