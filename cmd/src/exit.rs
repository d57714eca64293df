//! Mapping errors to docker's exit codes and messages.

use std::fmt;

/// docker's exit code for an error of the tool itself (bad flag, missing image...).
pub const SKIFF_ERROR: i32 = 125;
/// The container's command exists but cannot be invoked.
#[allow(dead_code)]
pub const CANNOT_INVOKE: i32 = 126;
/// The container's command was not found.
#[allow(dead_code)]
pub const NOT_FOUND: i32 = 127;

/// An error that carries its own exit code, for the cases where docker exits
/// with something other than 125 (126, 127, or a plain 1 for `--check`).
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    /// Returns the error already wrapped, so callers can `return Err(Failure::new(..))`.
    #[allow(clippy::new_ret_no_self)]
    #[allow(dead_code)]
    pub fn new(code: i32, message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure {
            code,
            message: message.into(),
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Print an error the way docker does and return the exit code to use.
pub fn report(err: &anyhow::Error) -> i32 {
    let code = err
        .downcast_ref::<Failure>()
        .map(|f| f.code)
        .unwrap_or(SKIFF_ERROR);
    let text = format!("{err:#}");
    if !text.is_empty() {
        eprintln!("Error: {text}");
    }
    code
}
