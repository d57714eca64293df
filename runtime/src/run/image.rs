//! The pieces of an image a container is made from: its layers and the
//! parts of its config that `run` combines with the flags.

use std::path::{Path, PathBuf};

use skiff_store::oci_spec::image::Digest;

use super::options::{ImageSource, Pull};
use crate::error::{io, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct RunImage {
    /// The reference as the user typed it (or the rootfs directory).
    pub reference: String,
    pub id: String,
    /// Unpacked layer directories, base first.
    pub layers: Vec<PathBuf>,
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub workdir: String,
    /// EXPOSEd ports ("8080/tcp"), for `-P`.
    pub exposed: Vec<String>,
    pub user: String,
    pub stop_signal: String,
    pub labels: Vec<(String, String)>,
    /// VOLUMEs, sorted.
    pub volumes: Vec<String>,
    /// What the container pins in the store against GC and `rmi`.
    pub pins: Vec<Digest>,
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
    let c = config.config().clone().unwrap_or_default();
    let labels = c
        .labels()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect::<Vec<_>>();
    let mut volumes: Vec<String> = c
        .volumes()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    volumes.sort();
    Ok(RunImage {
        reference: reference.to_string(),
        id: img.id().to_string(),
        layers,
        env: c.env().clone().unwrap_or_default(),
        entrypoint: c.entrypoint().clone().unwrap_or_default(),
        cmd: c.cmd().clone().unwrap_or_default(),
        workdir: c.working_dir().clone().unwrap_or_default(),
        exposed: c.exposed_ports().clone().unwrap_or_default(),
        user: c.user().clone().unwrap_or_default(),
        stop_signal: c.stop_signal().clone().unwrap_or_default(),
        labels,
        volumes,
        pins: vec![img.digest.clone(), img.config_digest.clone()],
    })
}

pub(crate) fn store_err(e: skiff_store::Error) -> Error {
    Error::Store(e.to_string())
}
