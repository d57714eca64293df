//! Running the exporters a build's `--output`s name, in the order given,
//! with the lines BuildKit's progress shows for each ("writing image ...
//! done", "naming to ... done", "exporting manifest list ... done").

use std::path::Path;
use std::sync::Arc;

use skiff_store::Store;

use super::{
    export_archive, export_oci_platforms, export_rootfs, export_rootfs_platforms, export_tar,
    export_tar_platforms, push, refuse_docker_platforms, Output,
};
use crate::error::{BuildError, Result};
use crate::progress::{Event, Progress};
use crate::solve::{BuildResult, MultiPlatformResult};

/// What a build made: one image, or an index of one image per platform.
#[derive(Debug, Clone, Copy)]
pub enum Built<'a> {
    Image(&'a BuildResult),
    Index(&'a MultiPlatformResult),
}

impl Built<'_> {
    /// The image exporter's lines before the tags.
    fn written(&self) -> Vec<String> {
        match self {
            Built::Image(r) => vec![format!("writing image {} done", r.image_id)],
            Built::Index(r) => {
                let mut lines: Vec<String> = r
                    .images
                    .iter()
                    .map(|i| {
                        let m = &i.result.manifest_digest;
                        format!("exporting manifest {m} for {} done", i.platform)
                    })
                    .collect();
                lines.push(format!("exporting manifest list {} done", r.index_digest));
                lines
            }
        }
    }

    fn local(&self, dest: &Path) -> Result<()> {
        match self {
            Built::Image(r) => export_rootfs(r, dest),
            Built::Index(r) => export_rootfs_platforms(r, dest),
        }
    }

    fn tar(&self, store: &Store, dest: &str) -> Result<()> {
        match self {
            Built::Image(r) => export_tar(store, r, dest),
            Built::Index(r) => export_tar_platforms(store, r, dest),
        }
    }

    /// An OCI (`oci`) or docker image archive; docker's format holds no
    /// index, as in BuildKit.
    fn archive(&self, store: &Store, tags: &[String], dest: &str, oci: bool) -> Result<()> {
        match self {
            Built::Image(r) => export_archive(store, r, tags, dest, oci),
            Built::Index(r) if oci => export_oci_platforms(store, r, tags, dest),
            Built::Index(_) => Err(refuse_docker_platforms()),
        }
    }
}

/// A tag as BuildKit's "naming to" line (and buildx's metadata file) shows
/// it: fully qualified, `:latest` made explicit.
pub fn full_tag(t: &str) -> String {
    skiff_store::normalize_reference(t)
        .map(|r| format!("{}:{}", r.name(), r.tag.as_deref().unwrap_or("latest")))
        .unwrap_or_else(|_| t.to_string())
}

/// Export what was built to each of `outputs`. The image and its tags are
/// already in the store (the build wrote them): its exporter names them
/// and pushes when asked.
pub fn export_all(
    store: &Store,
    built: Built,
    outputs: &[Output],
    tags: &[String],
    progress: &Arc<dyn Progress>,
) -> Result<()> {
    let info = |line: String| progress.event(Event::Info(line));
    for o in outputs {
        let (what, done) = match o {
            Output::Image { push: and_push } => {
                built.written().into_iter().for_each(info);
                tags.iter()
                    .for_each(|t| info(format!("naming to {} done", full_tag(t))));
                if *and_push {
                    push(store, tags, progress)?;
                }
                continue;
            }
            Output::Local(dest) => (
                format!("copying files to {}", dest.display()),
                built.local(dest),
            ),
            Output::Tar(dest) => (format!("sending tarball to {dest}"), built.tar(store, dest)),
            Output::Oci(dest) => (
                format!("exporting OCI archive to {dest}"),
                built.archive(store, tags, dest, true),
            ),
            Output::Docker(dest) => (
                format!(
                    "exporting docker archive to {}",
                    if dest.is_empty() { "-" } else { dest }
                ),
                built.archive(store, tags, dest, false),
            ),
        };
        done.map_err(|cause| BuildError::Export {
            what: what.clone(),
            cause: Box::new(cause),
        })?;
        info(format!("{what} done"));
    }
    Ok(())
}
