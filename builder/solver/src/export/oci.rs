//! `type=oci`: the image as an OCI image layout archive.

use std::io::Write;

use skiff_store::{ArchiveFormat, Store};

use crate::error::{io_at, Result};
use crate::solve::BuildResult;

use super::{archive_names, writer};

/// Write the OCI layout tar of the image to `dest` (empty or `-`: stdout).
pub fn export_oci(store: &Store, result: &BuildResult, tags: &[String], dest: &str) -> Result<()> {
    let mut w = writer(if dest.is_empty() { "-" } else { dest })?;
    store.save(&archive_names(result, tags), ArchiveFormat::Oci, &mut w)?;
    w.flush().map_err(io_at(dest))
}
