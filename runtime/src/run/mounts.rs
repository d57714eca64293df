//! The container's mounts: `-v`, `--mount` and `--tmpfs` in that order,
//! then the image's VOLUMEs that no flag covers, as anonymous volumes.

use std::path::Path;

use super::options::MountOptions;
use crate::config::{MountKind, MountSpec};
use crate::error::{io, Error, Result};
use crate::flags;

pub(super) fn resolve(o: &MountOptions, image_volumes: &[String]) -> Result<Vec<MountSpec>> {
    let mut mounts: Vec<MountSpec> = Vec::new();
    for v in &o.volumes {
        let m = flags::parse_volume(v)?;
        if m.kind == MountKind::Bind && !Path::new(&m.source).exists() {
            // docker creates a missing -v host directory.
            std::fs::create_dir_all(&m.source)
                .map_err(|e| io(format!("cannot create bind source {}", m.source), e))?;
        }
        mounts.push(m);
    }
    for m in &o.mounts {
        mounts.push(flags::parse_mount(m)?);
    }
    for t in &o.tmpfs {
        mounts.push(flags::parse_tmpfs(t)?);
    }
    for (i, m) in mounts.iter().enumerate() {
        if mounts[..i].iter().any(|o| o.destination == m.destination) {
            return Err(Error::Invalid(format!(
                "Duplicate mount point: {}",
                m.destination
            )));
        }
    }
    for v in image_volumes {
        if !mounts
            .iter()
            .any(|m| m.destination.trim_end_matches('/') == v.trim_end_matches('/'))
        {
            mounts.push(flags::parse_volume(v)?);
        }
    }
    Ok(mounts)
}
