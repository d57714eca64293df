//! The pieces of an image a container is made from: its layers and the
//! parts of its config that `run` combines with the flags.

use std::path::{Path, PathBuf};

use skiff_store::oci_spec::image::{Config, Digest};

use super::options::{ImageSource, Pull};
use crate::error::{io, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct RunImage {
    /// The reference as the user typed it (or the rootfs directory).
    pub reference: String,
    pub id: String,
    /// Unpacked layer directories, base first.
    pub layers: Vec<PathBuf>,
    /// The image's config (Env, Entrypoint, Cmd, User, VOLUMEs...); empty
    /// for a rootfs directory.
    pub config: Config,
    /// What the container pins in the store against GC and `rmi`.
    pub pins: Vec<Digest>,
}

/// An optional list of an image config, empty when unset.
pub(super) fn list(v: &Option<Vec<String>>) -> Vec<String> {
    v.clone().unwrap_or_default()
}

/// An optional string of an image config, empty when unset.
pub(super) fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

impl RunImage {
    /// Resolve `source` (the store under `root`, or a rootfs directory),
    /// unpacking the image's layers if needed.
    pub fn resolve(root: &Path, source: &ImageSource) -> Result<RunImage> {
        match source {
            ImageSource::Store { reference, pull } => from_store(root, reference, *pull),
            ImageSource::RootfsDir(dir) => from_rootfs(dir),
        }
    }
}

/// `--rootfs DIR`: the directory is the (read-only) lower layer.
fn from_rootfs(dir: &str) -> Result<RunImage> {
    let p = std::fs::canonicalize(dir).map_err(|e| io(format!("rootfs {dir}"), e))?;
    if !p.is_dir() {
        return Err(Error::Invalid(format!("rootfs {dir} is not a directory")));
    }
    Ok(RunImage {
        reference: p.to_string_lossy().into_owned(),
        layers: vec![p],
        ..Default::default()
    })
}

fn from_store(root: &Path, reference: &str, pull: Pull) -> Result<RunImage> {
    let store = skiff_store::Store::open(root).map_err(store_err)?;
    let img = store.resolve(reference).map_err(|e| match pull {
        Pull::Never => Error::Invalid(e.to_string()),
        // Pulling from `run` waits for the registry client to be wired in.
        Pull::Missing => Error::Invalid(format!(
            "Unable to find image '{reference}' locally: {e} (pull it first with `skiff pull {reference}`)"
        )),
    })?;
    let layers = store.image_layers(&img).map_err(store_err)?;
    let config = store.image_config(&img).map_err(store_err)?;
    Ok(RunImage {
        reference: reference.to_string(),
        id: img.id().to_string(),
        layers,
        config: config.config().clone().unwrap_or_default(),
        pins: vec![img.digest.clone(), img.config_digest.clone()],
    })
}

pub(crate) fn store_err(e: skiff_store::Error) -> Error {
    Error::Store(e.to_string())
}
