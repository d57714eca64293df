//! Base images (`FROM image`, `COPY --from=image`): found in the store, or
//! pulled through skiff-registry when missing or with `--pull`. All bases
//! are resolved before any stage runs, so pulls overlap and a missing image
//! fails the build before any work.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use skiff_frontend::{Base, BuildPlan};
use skiff_store::{LayerInfo, Platform, Store};

use crate::error::{BuildError, Result};
use crate::imageconfig::ImageConfig;
use crate::progress::{Event, Progress};

use super::BuildOptions;

#[derive(Debug, Clone)]
pub(crate) struct BaseImage {
    pub config: ImageConfig,
    /// `sha256:` of the config: part of the cache key of every step on it.
    pub id: String,
    pub layers: Vec<LayerInfo>,
    pub snapshots: Vec<PathBuf>,
}

/// The resolved bases of one build, by image name and platform: a stage
/// `FROM --platform=$BUILDPLATFORM golang` and a stage `FROM golang` need
/// two different images of one name.
#[derive(Debug, Clone)]
pub(crate) struct Bases {
    by_platform: BTreeMap<(String, Platform), BaseImage>,
    target: Platform,
}

impl Bases {
    /// `name` for `platform`.
    pub fn get_for(&self, name: &str, platform: &Platform) -> Option<&BaseImage> {
        self.by_platform.get(&(name.to_string(), platform.clone()))
    }

    /// `name` for the build's target platform, else for whichever platform
    /// a stage needed it (`COPY --from=image` in a stage of another platform).
    pub fn get(&self, name: &str) -> Option<&BaseImage> {
        self.get_for(name, &self.target).or_else(|| {
            self.by_platform
                .iter()
                .find(|((n, _), _)| n == name)
                .map(|(_, b)| b)
        })
    }
}

/// The platform stage `i` builds for: its `FROM --platform`, else the target.
pub(crate) fn stage_platform(plan: &BuildPlan, i: usize) -> Platform {
    plan.stages[i]
        .platform
        .clone()
        .unwrap_or_else(|| plan.target_platform.clone())
}

pub(crate) fn resolve_all(
    store: &Store,
    plan: &BuildPlan,
    order: &[usize],
    opts: &BuildOptions,
    progress: &Arc<dyn Progress>,
    ids: &AtomicUsize,
) -> Result<Bases> {
    let mut wanted: Vec<(String, Platform)> = Vec::new();
    for &i in order {
        let s = &plan.stages[i];
        let platform = stage_platform(plan, i);
        if let Base::Image(name) = &s.base {
            wanted.push((name.clone(), platform.clone()));
        }
        for img in &s.image_deps {
            if img != "scratch" {
                wanted.push((img.clone(), platform.clone()));
            }
        }
    }
    wanted.sort();
    wanted.dedup();

    let mut out = Bases {
        by_platform: BTreeMap::new(),
        target: plan.target_platform.clone(),
    };
    let mut threads = Vec::new();
    for (name, platform) in wanted {
        let store = store.clone();
        let progress = Arc::clone(progress);
        let pull = opts.pull;
        let id = ids.fetch_add(1, Ordering::SeqCst);
        threads.push(std::thread::spawn(move || {
            let start = std::time::Instant::now();
            progress.event(Event::Start {
                id,
                title: format!("[internal] load metadata for {name} ({platform})"),
            });
            let r = resolve_one(&store, &name, &platform, pull, &progress, id);
            match &r {
                Ok(_) => progress.event(Event::Done {
                    id,
                    secs: start.elapsed().as_secs_f64(),
                }),
                Err(e) => progress.event(Event::Error {
                    id,
                    message: e.to_string(),
                }),
            }
            (name, platform, r)
        }));
    }
    for t in threads {
        let (name, platform, r) = t
            .join()
            .map_err(|_| BuildError::Invalid("base image thread panicked".into()))?;
        out.by_platform.insert((name, platform), r?);
    }
    Ok(out)
}

/// The image `name` for `platform`: from the store when it holds that
/// platform, else pulled. Never another platform's image: an index without
/// the platform, or a single-platform image of another architecture, is
/// BuildKit's "no match for platform in manifest" naming what it has.
fn resolve_one(
    store: &Store,
    name: &str,
    platform: &Platform,
    pull: bool,
    progress: &Arc<dyn Progress>,
    id: usize,
) -> Result<BaseImage> {
    use skiff_store::Error::{ImageNotFound, NoMatchingPlatform};
    let no_match = |e: &dyn std::fmt::Display| {
        BuildError::NoMatchingPlatform(format!("{name}: no match for platform in manifest: {e}"))
    };
    // Why the store's copy does not do, when it has one: the registry may
    // hold the platform; if it cannot be asked, this is the error to show.
    let mut local_mismatch = None;
    if !pull {
        match store.resolve_for(name, platform) {
            Ok(img) => return base_image(store, name, img),
            Err(e @ NoMatchingPlatform { .. }) => local_mismatch = Some(e),
            Err(ImageNotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let top = match pull_image(store, name, platform, progress, id) {
        Ok(top) => top,
        Err(e @ BuildError::Registry(_)) => {
            return Err(match local_mismatch {
                Some(m) => no_match(&m),
                None => e,
            })
        }
        Err(e) => return Err(e),
    };
    // By the digest pulled, not by name: a concurrent pull may move the tag.
    let img = match store.resolve_for(&top, platform) {
        Err(ImageNotFound(_)) => store.resolve_for(name, platform),
        other => other,
    }
    .map_err(|e| match e {
        e @ NoMatchingPlatform { .. } => no_match(&e),
        e => e.into(),
    })?;
    base_image(store, name, img)
}

/// A resolved image as a stage starts from it.
fn base_image(store: &Store, name: &str, img: skiff_store::Image) -> Result<BaseImage> {
    let raw = store.image_config_raw(&img)?;
    let config =
        ImageConfig::from_bytes(&raw).map_err(|e| BuildError::Invalid(format!("{name}: {e}")))?;
    let snapshots = store.image_layers(&img)?;
    let layers = image_layer_infos(store, &img, &config, name)?;
    Ok(BaseImage {
        id: img.config_digest.to_string(),
        config,
        layers,
        snapshots,
    })
}

/// The layers of a stored image as a new image built on it lists them
/// (blob digest, size, media type, diff_id); `name` is for errors. Used for
/// FROM and by `skiff commit`.
pub fn image_layer_infos(
    store: &Store,
    img: &skiff_store::Image,
    config: &ImageConfig,
    name: &str,
) -> Result<Vec<LayerInfo>> {
    let diff_ids = config.diff_ids();
    let mut layers = Vec::new();
    for (i, d) in img.manifest.layers().iter().enumerate() {
        let diff = diff_ids.get(i).ok_or_else(|| {
            BuildError::Invalid(format!("{name}: config has fewer diff_ids than layers"))
        })?;
        let diff_id = skiff_store::parse_digest(diff)?;
        layers.push(LayerInfo {
            digest: d.digest().clone(),
            size: d.size(),
            uncompressed_size: store.layer_size(&diff_id).unwrap_or(0),
            diff_id,
            media_type: d.media_type().to_string(),
        });
    }
    Ok(layers)
}

fn pull_image(
    store: &Store,
    name: &str,
    platform: &Platform,
    progress: &Arc<dyn Progress>,
    id: usize,
) -> Result<String> {
    let reg_err = |e: skiff_registry::Error| match e {
        skiff_registry::Error::Platform(m) => BuildError::NoMatchingPlatform(format!(
            "{name}: no match for platform in manifest: {m}"
        )),
        e => BuildError::Registry(format!("{name}: {e}")),
    };
    let (r, reg) = crate::export::registry::connect(name).map_err(reg_err)?;
    let rt = skiff_registry::runtime().map_err(reg_err)?;
    let p = Arc::clone(progress);
    let reporter: skiff_registry::events::Reporter = Arc::new(move |e| {
        if let skiff_registry::events::Event::Line(l) = e {
            p.event(Event::Log { id, line: l });
        }
    });
    let popts = skiff_registry::pull::PullOptions {
        platform: Some(skiff_registry::Platform {
            os: platform.os.clone(),
            architecture: platform.architecture.clone(),
            variant: platform.variant.clone(),
        }),
    };
    let pulled = rt
        .block_on(skiff_registry::pull::pull(
            store, &reg, &r, &popts, reporter,
        ))
        .map_err(reg_err)?;
    Ok(pulled.digest)
}
