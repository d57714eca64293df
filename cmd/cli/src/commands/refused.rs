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

/// An image lookup that failed, as docker's daemon words it for rmi, tag
/// and history: a missing image is named by its reference with the tag
/// made explicit (`No such image: busybox:latest`, from the daemon's
/// `reference.TagNameOnly`); `image inspect` and `run` keep the name as
/// typed, as docker's CLI does there.
pub fn image_error(err: skiff_store::Error) -> String {
    match &err {
        skiff_store::Error::ImageNotFound(name) => match skiff_store::normalize_reference(name) {
            Ok(r) if !name.starts_with("sha256:") => format!("No such image: {}", r.familiar()),
            _ => err.to_string(),
        },
        _ => err.to_string(),
    }
}
