//! The flag checks that need no image, run before the image is looked up
//! or pulled: docker's CLI rejects a bad flag value (exit 125, the flag
//! named) without touching the registry, so `run --cpus abc nosuch` must
//! not try to pull `nosuch` first. [`super::build`] applies the same
//! parsers again with the image; they are cheap and side-effect free, and
//! keeping that path as it is keeps this a single early call.

use super::options::RunOptions;
use super::{health, host, resources};
use crate::config::Network;
use crate::error::{Error, Result};
use crate::{flags, sig, state};

/// Every flag value `build` checks, in `build`'s order, except those whose
/// check needs the image (the command, the image's VOLUMEs and STOPSIGNAL)
/// and `-v`'s host directory, which is only created with the container.
pub(super) fn flags(o: &RunOptions, network: Network) -> Result<()> {
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
    resources::resolve(&o.resources)?;
    super::security(&o.security)?;
    for h in &o.add_hosts {
        flags::parse_add_host(h)?;
    }
    if let Some(s) = o.stop_signal.as_deref() {
        if !s.is_empty() && sig::parse(s).is_none() {
            return Err(Error::Invalid(format!("invalid signal: {s}")));
        }
    }
    if let Some(n) = &o.name {
        state::checked_name(n)?;
    }
    host::resolve(&o.host, o.auto_remove, network, o.hostname.is_some())?;
    health::resolve(&o.host.health, None)?;
    Ok(())
}
