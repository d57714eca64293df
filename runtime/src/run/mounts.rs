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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_volumes_fill_in_and_duplicates_are_refused() {
        let o = MountOptions {
            volumes: vec!["cache:/data".into()],
            tmpfs: vec!["/run".into()],
            ..Default::default()
        };
        let m = resolve(&o, &["/data/".into(), "/logs".into()]).unwrap();
        let dests: Vec<&str> = m.iter().map(|m| m.destination.as_str()).collect();
        assert_eq!(dests, ["/data", "/run", "/logs"]);
        assert!(m[2].anonymous, "an uncovered VOLUME is an anonymous volume");
        let dup = MountOptions {
            volumes: vec!["a:/x".into()],
            tmpfs: vec!["/x".into()],
            ..Default::default()
        };
        assert!(resolve(&dup, &[]).is_err());
    }
}
