//! `--platform a,b,c`: one build per platform from one context, run
//! concurrently up to the host's core count, then one image index over the
//! platforms' manifests, tagged in the store (as buildx's image exporter).
//!
//! Each platform gets its own plan (its TARGET* args), base images and
//! stages. What does not depend on the target platform is shared through
//! the cache: a `FROM --platform=$BUILDPLATFORM` stage whose steps do not
//! read TARGETARCH has the same keys for every target, and the per-key
//! cache lock makes the other builds wait for the first to make it.

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use skiff_core::Platform;
use skiff_store::{Digest, Store};

use crate::error::{BuildError, Result};
use crate::progress::Progress;
use crate::run::RunExecutor;

use super::{load_context, solve, BuildOptions, BuildResult, PlatformRun};

/// One platform's image of a multi-platform build.
#[derive(Debug, Clone)]
pub struct PlatformBuild {
    pub platform: Platform,
    pub result: BuildResult,
}

/// A multi-platform build: the index and its images, in the order asked.
#[derive(Debug, Clone)]
pub struct MultiPlatformResult {
    /// The image index in the store (what the tags point at).
    pub index_digest: Digest,
    pub images: Vec<PlatformBuild>,
}

/// Build `platforms` (two or more) and tag an index of them with
/// `opts.tags`.
pub fn build_platforms(
    store: &Store,
    opts: &BuildOptions,
    platforms: &[Platform],
    progress: Arc<dyn Progress>,
    runner: Option<Arc<dyn RunExecutor>>,
    stdin: &mut dyn Read,
) -> Result<MultiPlatformResult> {
    let ctx = Arc::new(load_context(store, opts, &progress, stdin)?);
    // The platforms' manifests are no images of their own until the index
    // naming them is written: no prune may collect them before.
    let _lease = store.lease()?;
    let ids = Arc::new(AtomicUsize::new(2));
    let session = Arc::new(super::Session::open(
        &opts.cache_from,
        &opts.cache_to,
        &progress,
        &ids,
    ));
    // Every stage has its own thread already; more platforms at once than
    // cores only adds contention (emulated RUNs are CPU-bound).
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, platforms.len());
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<BuildResult>>>> =
        Mutex::new((0..platforms.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                // After a failure no new platform starts (BuildKit cancels
                // the rest); running ones finish.
                if k >= platforms.len() || failed.load(Ordering::SeqCst) {
                    break;
                }
                let p = &platforms[k];
                let mut o = opts.clone();
                o.platform = Some(p.to_string());
                let run = PlatformRun {
                    platform: Some(p.clone()),
                    ids: Arc::clone(&ids),
                    title_prefix: format!("{p} "),
                    tags: Vec::new(),
                    in_index: true,
                    session: Arc::clone(&session),
                };
                let r = solve(store, Arc::clone(&ctx), &o, &progress, runner.clone(), run)
                    .map_err(|e| name_platform(e, p));
                if r.is_err() {
                    failed.store(true, Ordering::SeqCst);
                }
                if let Ok(mut g) = results.lock() {
                    g[k] = Some(r);
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| BuildError::Invalid("platform results poisoned".into()))?;
    let mut images = Vec::new();
    let mut first_err = None;
    for (p, r) in platforms.iter().zip(results) {
        match r {
            Some(Ok(result)) => images.push(PlatformBuild {
                platform: p.clone(),
                result,
            }),
            Some(Err(e)) => {
                first_err.get_or_insert(e);
            }
            None => {}
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    let index_digest = crate::export::image::write_index(store, &images, &opts.tags)?;
    session.export(store, &progress, &ids)?;
    Ok(MultiPlatformResult {
        index_digest,
        images,
    })
}

/// A failed step says which platform's build it was.
fn name_platform(mut e: BuildError, p: &Platform) -> BuildError {
    if let BuildError::Step { instruction, .. } = &mut e {
        *instruction = format!("[{p}] {instruction}");
    }
    e
}
