//! `type=local`: the final filesystem, merged from the image's snapshots,
//! into a directory.

use std::fs;
use std::path::Path;

use crate::error::{io_at, Result};
use crate::solve::BuildResult;

/// Merge the image's snapshots into `dest` (created if needed).
pub fn export_rootfs(result: &BuildResult, dest: &Path) -> Result<()> {
    fs::create_dir_all(dest).map_err(io_at(dest))?;
    for snap in &result.snapshots {
        crate::squash::apply_to_rootfs(snap, dest).map_err(io_at(snap))?;
    }
    Ok(())
}
