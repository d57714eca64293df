//! The syntax checks of the flags whose final value needs the image (the
//! environment, mounts, stop signal, health check), run before the image is
//! looked up or pulled: docker's CLI rejects a bad flag value (exit 125,
//! the flag named) without touching the registry, so `run --cpus abc
//! nosuch` must not try to pull `nosuch` first. Flags that need no image
//! at all are resolved once, early, in [`super::build`] itself.

use super::health;
use super::options::RunOptions;
use crate::error::{Error, Result};
use crate::{flags, sig};

/// The flags `build` completes with the image (the environment, the
/// image's VOLUMEs, STOPSIGNAL and HEALTHCHECK), checked without it; `-v`'s
/// host directory is only created with the container.
pub(super) fn flags(o: &RunOptions) -> Result<()> {
    o.process.env_overrides()?;
    o.process.checked_workdir()?;
    for v in &o.mounts.volumes {
        flags::parse_volume(v)?;
    }
    for m in &o.mounts.mounts {
        flags::parse_mount(m)?;
    }
    for t in &o.mounts.tmpfs {
        flags::parse_tmpfs(t)?;
    }
    if let Some(s) = o.stop_signal.as_deref() {
        if !s.is_empty() && sig::parse(s).is_none() {
            return Err(Error::Invalid(format!("invalid signal: {s}")));
        }
    }
    health::resolve(&o.host.health, None)?;
    Ok(())
}
