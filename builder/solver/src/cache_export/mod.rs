//! `--cache-to` / `--cache-from`: the build cache of [`crate::cache`]
//! moved between machines, as buildx's registry, local and inline cache.
//!
//! - `spec`: the flag values.
//! - `format`: the cache manifest and config (key → record), validation.
//! - `import`: reading sources up front, layer blobs on a hit.
//! - `export`: pushing or writing the collected records.
//!
//! Step keys are portable: they hold the base image's config digest, the
//! platform, content digests of what steps read and the instructions,
//! never a path, inode or anything else of the store.

mod export;
pub mod format;
mod import;
pub mod spec;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use skiff_store::{LayerInfo, Store};

use crate::cache::Record;
use crate::error::{BuildError, Result};
use crate::imageconfig::ImageConfig;
use crate::progress::{Event, Progress};

pub use spec::{parse_cache_from, parse_cache_to, parse_flags, CacheFrom, CacheTo};

/// The OCI annotation naming a manifest of a layout's index.json.
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// One step as the build saw it, for export.
#[derive(Clone)]
pub(crate) struct Step {
    pub key: String,
    pub record: Record,
    /// In the final stage's chain (what mode=min exports).
    pub in_final: bool,
}

/// The cache side of one build command: imported records, and the steps
/// every platform's build went through.
pub(crate) struct Session {
    imported: import::Imported,
    to: Vec<CacheTo>,
    steps: Mutex<Vec<Step>>,
}

impl Session {
    /// Read the `--cache-from` sources (progress steps of their own).
    pub(crate) fn open(
        from: &[CacheFrom],
        to: &[CacheTo],
        progress: &Arc<dyn Progress>,
        ids: &AtomicUsize,
    ) -> Session {
        Session {
            imported: import::Imported::load(from, progress, ids),
            to: to.to_vec(),
            steps: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn inline(&self) -> bool {
        self.to.contains(&CacheTo::Inline)
    }

    /// The imported record for `key`, its layer now in the store, when it
    /// fits the step (`before` is the config the step starts from). A
    /// record that does not fit or whose layer cannot be fetched is a
    /// warning on step `id`, and the step runs.
    pub(crate) fn hit(
        &self,
        store: &Store,
        before: &ImageConfig,
        key: &str,
        progress: &dyn Progress,
        id: usize,
    ) -> Option<Record> {
        if self.imported.is_empty() {
            return None;
        }
        let (rec, _, source) = self.imported.get(key)?;
        let warn = |why: String| {
            progress.event(Event::Log {
                id,
                line: format!("WARNING: cache from {source} not used: {why}"),
            })
        };
        let mut want = before.diff_ids();
        if let Some(l) = &rec.layer {
            want.push(l.diff_id.clone());
        }
        if ImageConfig(rec.config.clone()).diff_ids() != want {
            warn(format!(
                "record {key} does not follow from the step's parent"
            ));
            return None;
        }
        if let Err(e) = self
            .imported
            .fetch_layer(store, key)
            .and_then(|()| unpack(store, before, rec))
        {
            warn(e.to_string());
            return None;
        }
        Some(rec.clone())
    }

    /// Keep one platform's steps for export.
    pub(crate) fn add_steps(&self, steps: Vec<Step>) {
        if let Ok(mut g) = self.steps.lock() {
            g.extend(steps);
        }
    }

    /// Export to every `--cache-to` (inline is written with the image).
    /// A failure is an error naming the destination, unless it said
    /// `ignore-error=true`: then a warning.
    pub(crate) fn export(
        &self,
        store: &Store,
        progress: &Arc<dyn Progress>,
        ids: &AtomicUsize,
    ) -> Result<()> {
        let steps = self.steps.lock().map(|g| g.clone()).unwrap_or_default();
        for t in &self.to {
            let (title, name, max) = match t {
                CacheTo::Inline => continue,
                CacheTo::Registry { reference, max, .. } => {
                    ("exporting cache to registry", reference.clone(), *max)
                }
                CacheTo::Local { dest, max, .. } => (
                    "exporting cache to client directory",
                    dest.display().to_string(),
                    *max,
                ),
            };
            let id = ids.fetch_add(1, Ordering::SeqCst);
            let t0 = std::time::Instant::now();
            progress.event(Event::Start {
                id,
                title: title.to_string(),
            });
            let log = |line: String| progress.event(Event::Log { id, line });
            log("preparing build cache for export".into());
            let cfg = config_of(steps.iter().filter(|s| max || s.in_final));
            let r = match t {
                CacheTo::Registry { reference, .. } => {
                    export::to_registry(store, reference, &cfg, &log)
                }
                CacheTo::Local { dest, tag, .. } => export::to_local(store, dest, tag, &cfg, &log),
                CacheTo::Inline => continue,
            };
            match r {
                Ok(_) => progress.event(Event::Done {
                    id,
                    secs: t0.elapsed().as_secs_f64(),
                }),
                Err(e) if t.ignore_error() => {
                    log(format!("WARNING: failed to export cache to {name}: {e}"));
                    progress.event(Event::Done {
                        id,
                        secs: t0.elapsed().as_secs_f64(),
                    });
                }
                Err(e) => {
                    let message = format!("failed to export cache to {name}: {e}");
                    progress.event(Event::Error {
                        id,
                        message: message.clone(),
                    });
                    return Err(BuildError::Registry(message));
                }
            }
        }
        Ok(())
    }
}

/// Unpack the record's layer onto the step's parent now: a blob whose
/// content is not the record's diff ID makes the step run instead of
/// failing the build.
fn unpack(store: &Store, before: &ImageConfig, rec: &Record) -> Result<()> {
    let Some(l) = &rec.layer else {
        return Ok(());
    };
    let info = l.to_info()?;
    let diffs = before
        .diff_ids()
        .iter()
        .map(|d| skiff_store::parse_digest(d))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let parent = skiff_store::chain_ids(&diffs).last().cloned();
    let chain = skiff_store::chain_id(parent.as_ref(), &info.diff_id);
    store.unpack_layer_blob(&chain, &info.diff_id, &info.digest, Some(&info.media_type))?;
    Ok(())
}

fn config_of<'a>(steps: impl Iterator<Item = &'a Step>) -> format::CacheConfig {
    let records: BTreeMap<String, Record> =
        steps.map(|s| (s.key.clone(), s.record.clone())).collect();
    format::CacheConfig {
        format: format::FORMAT.into(),
        records,
    }
}

/// `--cache-to type=inline`: the final stage's steps into the image
/// config, those whose layer the image itself carries (a squashed image
/// carries none of its steps' layers).
pub(crate) fn add_inline(config: &mut ImageConfig, steps: &[Step], layers: &[LayerInfo]) {
    let cfg = config_of(steps.iter().filter(|s| {
        s.in_final
            && s.record
                .layer
                .as_ref()
                .is_none_or(|l| layers.iter().any(|i| i.digest.to_string() == l.digest))
    }));
    if let Ok(v) = serde_json::to_value(&cfg) {
        config.0[format::INLINE_FIELD] = v;
    }
}
