//! Base images (`FROM image`, `COPY --from=image`): found in the store, or
//! pulled through skiff-registry when missing or with `--pull`. All bases
//! are resolved before any stage runs, so pulls overlap and a missing image
//! fails the build before any work.

use std::collections::BTreeMap;
use std::path::PathBuf;
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

pub(crate) fn resolve_all(
    store: &Store,
    plan: &BuildPlan,
    order: &[usize],
    opts: &BuildOptions,
    progress: &Arc<dyn Progress>,
) -> Result<BTreeMap<String, BaseImage>> {
    let mut wanted: Vec<(String, Platform)> = Vec::new();
    for &i in order {
        let s = &plan.stages[i];
        let platform = s.platform.as_ref().unwrap_or(&plan.target_platform).clone();
        if let Base::Image(name) = &s.base {
            wanted.push((name.clone(), platform.clone()));
        }
        for img in &s.image_deps {
            if img != "scratch" {
                wanted.push((img.clone(), platform.clone()));
            }
        }
    }
    wanted.sort_by(|a, b| a.0.cmp(&b.0));
    wanted.dedup_by(|a, b| a.0 == b.0);

    let mut out = BTreeMap::new();
    let mut threads = Vec::new();
    for (k, (name, platform)) in wanted.into_iter().enumerate() {
        let store = store.clone();
        let progress = Arc::clone(progress);
        let pull = opts.pull;
        threads.push(std::thread::spawn(move || {
            let id = 2 + k;
            let start = std::time::Instant::now();
            progress.event(Event::Start {
                id,
                title: format!("[internal] load metadata for {name}"),
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
            (name, r)
        }));
    }
    for t in threads {
        let (name, r) = t
            .join()
            .map_err(|_| BuildError::Invalid("base image thread panicked".into()))?;
        out.insert(name, r?);
    }
    Ok(out)
}

fn resolve_one(
    store: &Store,
    name: &str,
    platform: &Platform,
    pull: bool,
    progress: &Arc<dyn Progress>,
    id: usize,
) -> Result<BaseImage> {
    let found = if pull {
        None
    } else {
        match store.resolve_for(name, platform) {
            Ok(img) => Some(img),
            Err(skiff_store::Error::ImageNotFound(_))
            | Err(skiff_store::Error::NoMatchingPlatform { .. }) => None,
            Err(e) => return Err(e.into()),
        }
    };
    let img = match found {
        Some(img) => img,
        None => {
            pull_image(store, name, platform, progress, id)?;
            store.resolve_for(name, platform)?
        }
    };
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
) -> Result<()> {
    let reg_err = |e: skiff_registry::Error| BuildError::Registry(format!("{name}: {e}"));
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
    rt.block_on(skiff_registry::pull::pull(
        store, &reg, &r, &popts, reporter,
    ))
    .map_err(reg_err)?;
    Ok(())
}
