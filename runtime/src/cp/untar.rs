//! `cp - CTR:DIR`: a tar archive extracted into a container directory.
//! The archive is hostile: every entry name is cleaned lexically (no
//! absolute names, no `..` above the destination) and then created by
//! [`Target`], which never follows a symlink the container or an earlier
//! entry planted.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use tar::EntryType;

use super::target::{Meta, Target};
use crate::error::{io, Error, Result};

/// `name` of an incoming entry as a path below `dir`, or None for one that
/// names `dir` itself. `..` never climbs above `dir`.
fn below(dir: &Path, name: &Path) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in name.components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(parts.iter().fold(dir.to_path_buf(), |p, c| p.join(c)))
}

/// Extract the tar on `input` into directory `dir` of the container.
pub fn extract(tgt: &Target, dir: &Path, input: &mut dyn Read, keep_owner: bool) -> Result<()> {
    let bad = |e: std::io::Error| io("reading the tar archive", e);
    let mut ar = tar::Archive::new(input);
    for entry in ar.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let name = entry.path().map_err(bad)?.into_owned();
        let Some(at) = below(dir, &name) else {
            continue;
        };
        let h = entry.header();
        let kept = match keep_owner {
            true => Some((h.uid().map_err(bad)? as u32, h.gid().map_err(bad)? as u32)),
            false => None,
        };
        let mtime = h.mtime().map_err(bad)? as i64;
        let meta = Meta::copied(h.mode().map_err(bad)?, kept, mtime);
        match h.entry_type() {
            EntryType::Directory => tgt.mkdir(&at, meta)?,
            EntryType::Regular | EntryType::Continuous => {
                tgt.file(&at, meta, &mut entry)?;
            }
            EntryType::Symlink => {
                let link = entry.link_name().map_err(bad)?.ok_or_else(|| {
                    Error::Invalid(format!("{}: symlink without target", name.display()))
                })?;
                tgt.symlink(&at, &link, meta)?;
            }
            EntryType::XGlobalHeader | EntryType::XHeader => {}
            other => {
                return Err(Error::Invalid(format!(
                    "{}: {other:?} entries cannot be copied into a container by skiff",
                    name.display()
                )))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_names_stay_below_the_destination() {
        let d = Path::new("/dst");
        assert_eq!(below(d, Path::new("a/b")), Some(PathBuf::from("/dst/a/b")));
        assert_eq!(
            below(d, Path::new("/etc/passwd")),
            Some(PathBuf::from("/dst/etc/passwd"))
        );
        assert_eq!(
            below(d, Path::new("../../etc/x")),
            Some(PathBuf::from("/dst/etc/x"))
        );
        assert_eq!(below(d, Path::new("./")), None);
    }
}
