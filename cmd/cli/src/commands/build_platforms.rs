//! `skiff build --platform a,b,...`: several platforms in one build, one
//! image index as the result, exported the way buildx exports it.

use std::sync::Arc;

use anyhow::Context as _;
use skiff_solver::export::{self, Output};
use skiff_solver::progress::{Event, Progress};
use skiff_solver::run::RunExecutor;
use skiff_solver::BuildOptions;
use skiff_store::Platform;
use skiff_store::Store;

use super::build::{render_failure, Args};

/// `--platform` values (repeatable, comma-separated), normalised, without
/// duplicates, in the order given; empty when none was given.
pub fn parse_platforms(list: &[String]) -> anyhow::Result<Vec<Platform>> {
    let joined = list.join(",");
    if joined.split(',').all(|p| p.trim().is_empty()) {
        return Ok(Vec::new());
    }
    Platform::parse_list(&joined).map_err(|e| anyhow::anyhow!("--platform: {e}"))
}

/// Outputs a multi-platform result cannot go to, refused before building.
pub fn check_outputs(outputs: &[Output]) -> anyhow::Result<()> {
    if outputs.iter().any(|o| matches!(o, Output::Docker(_))) {
        return Err(export::refuse_docker_platforms().into());
    }
    Ok(())
}

/// Build every platform, tag the index, run the exporters.
pub fn run(
    store: &Store,
    a: &Args,
    opts: &BuildOptions,
    platforms: &[Platform],
    outputs: &[Output],
    progress: Arc<dyn Progress>,
    runner: Option<Arc<dyn RunExecutor>>,
) -> anyhow::Result<String> {
    let result = skiff_solver::build_platforms(
        store,
        opts,
        platforms,
        Arc::clone(&progress),
        runner,
        &mut std::io::stdin().lock(),
    )
    .map_err(render_failure)?;
    let index = result.index_digest.to_string();
    let info = |line: String| progress.event(Event::Info(line));
    for o in outputs {
        match o {
            Output::Image { push } => {
                for img in &result.images {
                    info(format!(
                        "exporting manifest {} for {} done",
                        img.result.manifest_digest, img.platform
                    ));
                }
                info(format!("exporting manifest list {index} done"));
                for t in &a.tags {
                    info(format!("naming to {} done", super::build::full_tag(t)));
                }
                if *push {
                    export::push(store, &a.tags, &progress)?;
                }
            }
            Output::Local(dest) => {
                export::export_rootfs_platforms(&result, dest)?;
                info(format!("copying files to {} done", dest.display()));
            }
            Output::Tar(dest) => {
                export::export_tar_platforms(store, &result, dest)?;
                info(format!("sending tarball to {dest} done"));
            }
            Output::Oci(dest) => {
                export::export_oci_platforms(store, &result, &a.tags, dest)
                    .with_context(|| format!("exporting OCI archive to {dest}"))?;
                info(format!("exporting OCI archive to {dest} done"));
            }
            Output::Docker(_) => return Err(export::refuse_docker_platforms().into()),
        }
    }
    Ok(index)
}
