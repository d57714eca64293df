//! Exporting a multi-platform build the way buildx does: `type=local` and
//! `type=tar` get one directory per platform (`linux_amd64/`,
//! `linux_arm_v7/`), `type=oci` an archive whose index.json names the image
//! index, and `type=docker` is refused as BuildKit refuses it (a docker
//! archive holds no index).

use std::fs;
use std::io::Write;
use std::path::Path;

use skiff_store::{ArchiveFormat, Store};

use crate::error::{io_at, BuildError, Result};
use crate::layer::{write_dir_tar, TarOptions};
use crate::solve::MultiPlatformResult;

use super::{export_rootfs, writer};

/// buildx's directory for a platform: its normalised name, `/` as `_`.
pub fn platform_dir(p: &skiff_core::Platform) -> String {
    p.to_string().replace('/', "_")
}

/// `type=local`: each platform's filesystem under `dest/<platform_dir>/`.
pub fn export_rootfs_platforms(result: &MultiPlatformResult, dest: &Path) -> Result<()> {
    for img in &result.images {
        export_rootfs(&img.result, &dest.join(platform_dir(&img.platform)))?;
    }
    Ok(())
}

/// `type=tar`: one tar holding the `type=local` layout.
pub fn export_tar_platforms(store: &Store, result: &MultiPlatformResult, dest: &str) -> Result<()> {
    let tmp = store.create_temp_dir("export")?;
    let r = (|| -> Result<()> {
        export_rootfs_platforms(result, &tmp)?;
        let (mut w, _) = write_dir_tar(&tmp, writer(dest)?, &TarOptions::default())?;
        w.flush().map_err(io_at(dest))
    })();
    let _ = fs::remove_dir_all(&tmp);
    r
}

/// `type=oci`: the OCI layout of the index (named by the tags, else by its
/// digest) and every platform's image.
pub fn export_oci_platforms(
    store: &Store,
    result: &MultiPlatformResult,
    tags: &[String],
    dest: &str,
) -> Result<()> {
    let names = if tags.is_empty() {
        vec![result.index_digest.to_string()]
    } else {
        tags.to_vec()
    };
    let mut w = writer(if dest.is_empty() { "-" } else { dest })?;
    store.save(&names, ArchiveFormat::Oci, &mut w)?;
    w.flush().map_err(io_at(dest))
}

/// `type=docker` of several platforms: BuildKit's refusal, with the way out.
pub fn refuse_docker_platforms() -> BuildError {
    BuildError::Unsupported(
        "docker exporter does not currently support exporting manifest lists: \
         build one --platform at a time for type=docker, or use type=oci or type=registry"
            .into(),
    )
}
