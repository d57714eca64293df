//! `cp SRC CTR:DEST`: a host tree copied into a container through
//! [`Target`], which creates every entry inside the container's root
//! without following a symlink the container planted.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::target::{Meta, Target};
use crate::error::{io_at, Result};

/// Copy the host tree at `src` to `at` in the container, following `src`
/// itself when it is a symlink and `follow` (`-L`), never a link below it.
/// Returns the bytes of file content copied.
pub fn copy_tree(
    tgt: &Target,
    src: &Path,
    follow: bool,
    at: &Path,
    keep_owner: bool,
) -> Result<u64> {
    let m = if follow {
        fs::metadata(src)
    } else {
        fs::symlink_metadata(src)
    }
    .map_err(|e| io_at("lstat", src, e))?;
    let kept = keep_owner.then(|| (m.uid(), m.gid()));
    let meta = Meta::copied(m.mode(), kept, m.mtime());
    let ft = m.file_type();
    let mut copied = 0;
    if ft.is_dir() {
        tgt.mkdir(at, meta)?;
        let mut names: Vec<_> = fs::read_dir(src)
            .map_err(|e| io_at("reading directory", src, e))?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        for n in names {
            copied += copy_tree(tgt, &src.join(&n), false, &at.join(&n), keep_owner)?;
        }
    } else if ft.is_symlink() {
        let link = fs::read_link(src).map_err(|e| io_at("readlink", src, e))?;
        tgt.symlink(at, &link, meta)?;
    } else if ft.is_file() {
        let mut f = fs::File::open(src).map_err(|e| io_at("open", src, e))?;
        copied += tgt.file(at, meta, &mut f)?;
    }
    Ok(copied)
}
