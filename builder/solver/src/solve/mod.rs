//! The solver: the frontend's plan becomes work. Base images are resolved
//! (and pulled when missing) up front, every stage the target needs runs on
//! its own thread as soon as the stages it reads from are done, and each
//! step is looked up in the cache by a key chained from its parent's.

mod add_remote;
mod base;
mod commit;
pub use base::image_layer_infos;
pub use commit::commit_dir;
mod copy;
mod metadata;
mod numbering;
mod platforms;
mod run;
mod run_heredoc;
mod run_mounts;
mod run_secret;
mod run_ssh;
mod stage;

pub(crate) use metadata::expose_ports;
pub use platforms::{build_platforms, MultiPlatformResult, PlatformBuild};

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use skiff_core::timing::mark;
use skiff_frontend::{BuildPlan, PlanOptions};
use skiff_store::{LayerInfo, Store};

use crate::cache::BuildCache;
use crate::cache_export::{self, Session};
use crate::context::{Context, ContextSpec};
use crate::error::{BuildError, Result};
use crate::imageconfig::ImageConfig;
use crate::layer::Compression;
use crate::progress::{Event, Progress};
use crate::run::RunExecutor;

/// A `--secret id=..,src=..|env=..`.
#[derive(Debug, Clone)]
pub struct Secret {
    pub id: String,
    pub src: PathBuf,
}

/// What `skiff build` asks for.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub context: ContextSpec,
    pub tags: Vec<String>,
    pub build_args: BTreeMap<String, String>,
    pub target: Option<String>,
    /// One `os/arch[/variant]`; the host's when None. Several platforms
    /// are [`build_platforms`]'s, which sets this for each.
    pub platform: Option<String>,
    pub no_cache: bool,
    pub no_cache_filter: Vec<String>,
    pub pull: bool,
    pub labels: BTreeMap<String, String>,
    pub squash: bool,
    pub compression: Option<Compression>,
    /// `SOURCE_DATE_EPOCH`: clamps layer mtimes and image timestamps.
    pub source_date_epoch: Option<i64>,
    /// RUN network: "default"/"host" or "none".
    pub network: String,
    pub secrets: Vec<Secret>,
    pub add_hosts: Vec<String>,
    /// `--ssh` agents for `RUN --mount=type=ssh`.
    pub ssh: Vec<crate::ssh_agent::SshAgent>,
    /// `--ulimit`, `--shm-size`, `--memory`... for every RUN.
    pub sandbox: crate::run::RunSandbox,
    /// `--allow security.insecure`: `RUN --security=insecure` may run.
    pub allow_insecure: bool,
    /// `--cache-from`: build caches to import.
    pub cache_from: Vec<crate::cache_export::CacheFrom>,
    /// `--cache-to`: where to export the build cache.
    pub cache_to: Vec<crate::cache_export::CacheTo>,
}

/// A built image.
#[derive(Debug, Clone)]
pub struct BuildResult {
    /// The image ID (`sha256:` of the config).
    pub image_id: String,
    /// The manifest digest in the store.
    pub manifest_digest: String,
    pub config: Vec<u8>,
    pub layers: Vec<LayerInfo>,
    /// Snapshot dirs of the image, base first.
    pub snapshots: Vec<PathBuf>,
}

/// A finished stage.
#[derive(Debug, Clone)]
pub(crate) struct StageOut {
    pub config: ImageConfig,
    pub layers: Vec<LayerInfo>,
    pub snapshots: Vec<PathBuf>,
    pub key: String,
    /// Number of layers that came from the base image (for --squash).
    pub base_layers: usize,
}

/// A finished stage, or why it failed.
type StageResult = std::result::Result<Arc<StageOut>, String>;

/// Shared by the stage threads.
pub(crate) struct Shared {
    pub store: Store,
    pub cache: BuildCache,
    pub plan: BuildPlan,
    /// Loaded once, shared by the builds of every platform.
    pub ctx: Arc<Context>,
    pub opts: BuildOptions,
    pub progress: Arc<dyn Progress>,
    pub runner: Option<Arc<dyn RunExecutor>>,
    pub compression: Compression,
    /// Progress step ids, shared by the builds of every platform.
    pub next_id: Arc<AtomicUsize>,
    /// `"linux/arm64 "` in step titles of a multi-platform build, as
    /// BuildKit shows them; empty otherwise.
    pub title_prefix: String,
    /// One platform of a multi-platform build: its image is an index entry.
    pub in_index: bool,
    results: Mutex<Vec<Option<StageResult>>>,
    done: Condvar,
    pub bases: base::Bases,
    /// `--cache-from` records and the steps `--cache-to` exports.
    pub session: Arc<Session>,
    /// This platform's steps so far (for export and inline cache).
    pub steps: Mutex<Vec<cache_export::Step>>,
    /// Stages the target stage is built on (FROM chain): mode=min's.
    pub in_final: Vec<bool>,
}

impl Shared {
    /// Block until stage `i` is done; an error when it failed.
    pub fn wait_stage(&self, i: usize) -> Result<Arc<StageOut>> {
        let mut g = self
            .results
            .lock()
            .map_err(|_| BuildError::Invalid("stage results poisoned".into()))?;
        loop {
            match g.get(i) {
                Some(Some(Ok(s))) => return Ok(Arc::clone(s)),
                Some(Some(Err(_))) => {
                    return Err(BuildError::Invalid(format!(
                        "stage {} failed",
                        self.plan.stages[i].display_name()
                    )))
                }
                Some(None) => {}
                None => return Err(BuildError::Invalid(format!("no stage {i}"))),
            }
            g = self
                .done
                .wait(g)
                .map_err(|_| BuildError::Invalid("stage results poisoned".into()))?;
        }
    }

    fn finish_stage(&self, i: usize, r: StageResult) {
        if let Ok(mut g) = self.results.lock() {
            g[i] = Some(r);
        }
        self.done.notify_all();
    }

    pub fn step_id(&self) -> usize {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }

    /// Whether the cache may be used for stage `i`.
    pub fn cache_allowed(&self, i: usize) -> bool {
        if self.opts.no_cache {
            return false;
        }
        let s = &self.plan.stages[i];
        !self
            .opts
            .no_cache_filter
            .iter()
            .any(|f| s.name.as_deref() == Some(f.to_lowercase().as_str()) || f == &i.to_string())
    }

    /// Find a stage by `--from` value (name or index).
    pub fn stage_by_ref(&self, r: &str) -> Option<usize> {
        let lower = r.to_lowercase();
        self.plan
            .stages
            .iter()
            .position(|s| s.name.as_deref() == Some(lower.as_str()))
            .or_else(|| {
                r.parse::<usize>()
                    .ok()
                    .filter(|i| *i < self.plan.stages.len())
            })
    }

    pub fn dockerfile_name(&self) -> &str {
        &self.ctx.dockerfile_name
    }
}

/// Build for one platform (`opts.platform`, else the host's). `stdin` is
/// read when the context or Dockerfile is "-".
pub fn build(
    store: &Store,
    opts: &BuildOptions,
    progress: Arc<dyn Progress>,
    runner: Option<Arc<dyn RunExecutor>>,
    stdin: &mut dyn Read,
) -> Result<BuildResult> {
    let ctx = Arc::new(load_context(store, opts, &progress, stdin)?);
    let platform = match &opts.platform {
        Some(p) => {
            Some(skiff_core::Platform::parse(p).map_err(|e| BuildError::Invalid(e.to_string()))?)
        }
        None => None,
    };
    let ids = Arc::new(AtomicUsize::new(2));
    let session = Arc::new(Session::open(
        &opts.cache_from,
        &opts.cache_to,
        &progress,
        &ids,
    ));
    let run = PlatformRun {
        platform,
        ids: Arc::clone(&ids),
        title_prefix: String::new(),
        tags: opts.tags.clone(),
        in_index: false,
        session: Arc::clone(&session),
    };
    let result = solve(store, ctx, opts, &progress, runner, run)?;
    session.export(store, &progress, &ids)?;
    Ok(result)
}

/// The context and Dockerfile, read once per build command.
fn load_context(
    store: &Store,
    opts: &BuildOptions,
    progress: &Arc<dyn Progress>,
    stdin: &mut dyn Read,
) -> Result<Context> {
    let ctx = Context::load(&opts.context, &store.buildcache_dir(), stdin)?;
    mark("context loaded");
    let id = 1;
    progress.event(Event::Start {
        id,
        title: "[internal] load build definition from ".to_string() + &ctx.dockerfile_name,
    });
    progress.event(Event::Done { id, secs: 0.0 });
    Ok(ctx)
}

/// What differs between the builds of one command's platforms.
struct PlatformRun {
    /// The target platform; `None` is the host's.
    platform: Option<skiff_core::Platform>,
    ids: Arc<AtomicUsize>,
    title_prefix: String,
    /// Tags the image gets (none for one platform of several: the index
    /// gets them).
    tags: Vec<String>,
    in_index: bool,
    session: Arc<Session>,
}

/// Plan and run the stages for one platform, then store the image.
fn solve(
    store: &Store,
    ctx: Arc<Context>,
    opts: &BuildOptions,
    progress: &Arc<dyn Progress>,
    runner: Option<Arc<dyn RunExecutor>>,
    run: PlatformRun,
) -> Result<BuildResult> {
    let cache = BuildCache::open(store)?;
    let plan_opts = PlanOptions {
        build_args: opts.build_args.clone(),
        target: opts.target.clone(),
        target_platform: run.platform,
        ..Default::default()
    };
    let plan = skiff_frontend::parse_and_plan(&ctx.dockerfile, &plan_opts)
        .map_err(|e| BuildError::Dockerfile(e.with_file(&ctx.dockerfile_name)))?;
    if let Some(note) = &plan.syntax_note {
        progress.event(Event::Info(note.clone()));
    }

    let order = plan.build_order();
    let compression = opts.compression.unwrap_or_default();
    let _lease = store.lease()?;
    // Bases first, all at once: pulls overlap.
    mark("planned");
    let bases = base::resolve_all(store, &plan, &order, opts, progress, &run.ids)?;
    mark("bases resolved");
    let n = plan.stages.len();
    let in_final = final_chain(&plan);
    let mut opts = opts.clone();
    opts.tags = run.tags;
    let shared = Arc::new(Shared {
        store: store.clone(),
        cache,
        plan,
        ctx,
        opts,
        progress: Arc::clone(progress),
        runner,
        compression,
        next_id: run.ids,
        title_prefix: run.title_prefix,
        in_index: run.in_index,
        results: Mutex::new(vec![None; n]),
        done: Condvar::new(),
        bases,
        session: run.session,
        steps: Mutex::new(Vec::new()),
        in_final,
    });
    // One thread per needed stage; each waits for what it reads.
    let mut handles = Vec::new();
    for &i in &order {
        let sh = Arc::clone(&shared);
        handles.push(std::thread::spawn(move || {
            let r = stage::run_stage(&sh, i);
            let (out, err) = match r {
                Ok(s) => (Ok(Arc::new(s)), None),
                Err(e) => (Err(e.to_string()), Some(e)),
            };
            sh.finish_stage(i, out);
            err
        }));
    }
    let mut first_err: Option<BuildError> = None;
    for h in handles {
        match h.join() {
            Ok(Some(e)) => {
                // Report the root cause, not "stage x failed" of a dependent.
                let is_dependent = matches!(&e, BuildError::Invalid(m) if m.starts_with("stage ") && m.ends_with(" failed"));
                if first_err.is_none()
                    || (!is_dependent
                        && matches!(&first_err, Some(BuildError::Invalid(m)) if m.starts_with("stage ")))
                {
                    first_err = Some(e);
                }
            }
            Ok(None) => {}
            Err(_) => {
                first_err.get_or_insert(BuildError::Invalid("a build thread panicked".into()));
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    let target = shared.plan.target;
    let out = shared.wait_stage(target)?;
    mark("stages done");
    let done = finish_image(&shared, &out);
    mark("image written");
    if let Ok(mut steps) = shared.steps.lock() {
        shared.session.add_steps(std::mem::take(&mut *steps));
    }
    done
}

/// Which stages the target is built on through `FROM <stage>`, itself
/// included: their steps make the image's layers.
fn final_chain(plan: &BuildPlan) -> Vec<bool> {
    let mut v = vec![false; plan.stages.len()];
    let mut i = Some(plan.target);
    while let Some(j) = i.filter(|j| *j < v.len() && !v[*j]) {
        v[j] = true;
        i = match plan.stages[j].base {
            skiff_frontend::Base::Stage(k) => Some(k),
            _ => None,
        };
    }
    v
}

/// Labels, squash, timestamps; write config + manifest into the store.
fn finish_image(sh: &Shared, out: &StageOut) -> Result<BuildResult> {
    let mut config = out.config.clone();
    for (k, v) in &sh.opts.labels {
        config.insert_map("Labels", k, serde_json::json!(v));
    }
    let mut layers = out.layers.clone();
    let mut snapshots = out.snapshots.clone();
    if sh.opts.squash && out.layers.len() > out.base_layers + 1 {
        let (l, snap) = commit::squash(sh, out)?;
        let base_n = out.base_layers;
        layers.truncate(base_n);
        snapshots.truncate(base_n);
        let mut diff_ids = config.diff_ids();
        diff_ids.truncate(base_n);
        config.0["rootfs"]["diff_ids"] = serde_json::json!(diff_ids);
        config.push_diff_id(l.diff_id.as_ref());
        layers.push(l);
        snapshots.push(snap);
    }
    if let Some(epoch) = sh.opts.source_date_epoch {
        let t = chrono::DateTime::from_timestamp(epoch, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        config.clamp_created(&t);
    }
    if sh.session.inline() {
        let steps = sh.steps.lock().map(|g| g.clone()).unwrap_or_default();
        cache_export::add_inline(&mut config, &steps, &layers);
    }
    let bytes = config.to_bytes();
    let manifest =
        crate::export::image::write_image(&sh.store, &bytes, &layers, &sh.opts.tags, sh.in_index)?;
    let image_id = skiff_store::sha256_digest(&bytes).to_string();
    Ok(BuildResult {
        image_id,
        manifest_digest: manifest.to_string(),
        config: bytes,
        layers,
        snapshots,
    })
}
