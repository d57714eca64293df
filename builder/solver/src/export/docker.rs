//! `type=docker`: the image as a `docker save` archive (what `docker load`
//! and `podman load` read).

use std::io::Write;

use skiff_store::{ArchiveFormat, Store};

use crate::error::{io_at, Result};
use crate::solve::BuildResult;

use super::{archive_names, writer};

/// Write the docker save tar of the image to `dest` (empty or `-`: stdout).
pub fn export_docker(
    store: &Store,
    result: &BuildResult,
    tags: &[String],
    dest: &str,
) -> Result<()> {
    let mut w = writer(if dest.is_empty() { "-" } else { dest })?;
    store.save(&archive_names(result, tags), ArchiveFormat::Docker, &mut w)?;
    w.flush().map_err(io_at(dest))
}
