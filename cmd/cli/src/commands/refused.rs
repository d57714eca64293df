//! What single-object commands (rename, diff, export, history, ...) do with
//! an error the engine reports: docker's CLI prints it as
//! `Error response from daemon: ...` and exits 1, not 125.

use crate::exit::{warn, Failure};

/// Print `err` the way docker's CLI prints a daemon error and hand back
/// an already-reported failure with exit code 1.
pub fn refused(err: impl std::fmt::Display) -> anyhow::Error {
    warn(&format!("Error response from daemon: {err}"));
    Failure::new(1, "")
}

/// Run `f`, turning any error into [`refused`].
pub fn daemon<T, E: std::fmt::Display>(r: Result<T, E>) -> anyhow::Result<T> {
    r.map_err(refused)
}
