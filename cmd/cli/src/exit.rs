//! Errors to docker's exit codes and messages: the one place that decides
//! what a failure prints and how the process ends.
//!
//! * A command returns `Err`: `report` prints `Error: ...` and exits with the
//!   code a [`Failure`] carries, the runtime's own code for a container that
//!   could not start, else 125 (docker's code for the tool's own errors).
//! * A command acting on several objects goes on after one fails, as docker
//!   does: [`Batch`] prints each failure at once and makes the exit code 1.

use std::fmt;
use std::io::Write;

/// docker's exit code for an error of the tool itself (bad flag, missing image...).
pub const SKIFF_ERROR: i32 = 125;

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

/// A flag skiff parses (docker has it) but cannot honour: refused, naming
/// the flag, rather than silently ignored.
pub fn unsupported(flag: &str, why: &str) -> anyhow::Error {
    Failure::new(SKIFF_ERROR, format!("{flag} is not supported: {why}"))
}

/// For the commands whose every failure docker's CLI exits 1 for (pull,
/// push, tag; only run and create turn errors into 125): the message
/// stays, the code becomes 1 unless the error already carries one.
pub fn exits_one(err: anyhow::Error) -> anyhow::Error {
    if err.downcast_ref::<Failure>().is_some() {
        return err;
    }
    Failure::new(1, format!("{err:#}"))
}

/// The exit code for an error: its [`Failure`] code, the runtime's code
/// (126/127 when a container's command cannot run), else 125.
pub fn code_of(err: &anyhow::Error) -> i32 {
    if let Some(f) = err.downcast_ref::<Failure>() {
        return f.code;
    }
    if let Some(e) = err.downcast_ref::<skiff_runtime::Error>() {
        return e.exit_code();
    }
    SKIFF_ERROR
}

/// Print an error the way docker does and return the exit code to use.
pub fn report(err: &anyhow::Error) -> i32 {
    if let Some(e @ skiff_runtime::Error::NoSuchContainer(_)) = err.downcast_ref() {
        // docker's daemon answers a missing container for logs, exec, port,
        // top, stats, start -a...: its CLI prints the daemon's words and
        // exits 1 (only run/create turn errors into 125).
        warn(&format!("Error response from daemon: {e}"));
        return 1;
    }
    let text = format!("{err:#}");
    if !text.is_empty() {
        warn(&format!("Error: {text}"));
    }
    code_of(err)
}

/// One line to stderr; a closed stderr is no reason to panic.
pub fn warn(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Failures of a command that acts on several objects and goes on.
#[derive(Debug, Default)]
pub struct Batch {
    failed: bool,
}

impl Batch {
    /// An object the engine refused (`Error response from daemon: ...`, as
    /// docker's CLI words what its daemon reports).
    pub fn refused(&mut self, err: impl fmt::Display) {
        warn(&format!("Error response from daemon: {err}"));
        self.failed = true;
    }

    /// An object that does not exist or cannot be read (`Error: ...`).
    pub fn failed(&mut self, err: impl fmt::Display) {
        warn(&format!("Error: {err}"));
        self.failed = true;
    }

    /// Failed without a message (already printed, or a crashed worker).
    pub fn mark_failed(&mut self) {
        self.failed = true;
    }

    /// docker's exit code: 1 if any object failed.
    pub fn code(&self) -> i32 {
        i32::from(self.failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mapping_from_errors_to_codes() {
        assert_eq!(code_of(&Failure::new(1, "check failed")), 1);
        let start = skiff_runtime::Error::Start {
            failure: skiff_runtime::launch::StartFailure::NotFound,
            message: "not found".into(),
        };
        assert_eq!(code_of(&anyhow::Error::new(start)), 127);
        let invalid = skiff_runtime::Error::Invalid("bad".into());
        assert_eq!(code_of(&anyhow::Error::new(invalid)), SKIFF_ERROR);
        assert_eq!(code_of(&anyhow::anyhow!("anything else")), SKIFF_ERROR);
        assert_eq!(code_of(&unsupported("--x", "why")), SKIFF_ERROR);
        assert!(unsupported("--x", "why").to_string().contains("--x"));
    }

    #[test]
    fn a_batch_fails_with_one() {
        let mut b = Batch::default();
        assert_eq!(b.code(), 0);
        b.refused("no such container: x");
        assert_eq!(b.code(), 1);
    }
}
