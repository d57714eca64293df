//! `skiff build --platform a,b,...`: several platforms in one build, one
//! image index as the result, exported the way buildx exports it.

use std::sync::Arc;

use skiff_solver::export::{self, Output};
use skiff_solver::progress::Progress;
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
    let built = export::Built::Index(&result);
    export::export_all(store, built, outputs, &a.tags, &progress)?;
    Ok(result.index_digest.to_string())
}
