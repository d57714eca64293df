//! skiff's exported build cache: an OCI image manifest whose config blob
//! is the step-key → record map (a [`CacheConfig`]) and whose layers are
//! the layer blobs the records name. BuildKit's own cache format is keyed
//! by BuildKit's LLB digests, which skiff does not compute, so a
//! BuildKit-compatible export would never hit: the format is skiff's own,
//! described in the README ("Build cache export").
//!
//! Inline (`--cache-to type=inline`): the same map under the image
//! config's [`INLINE_FIELD`], the layers being the image's own.
//!
//! Everything read here may come from a hostile registry: [`validate`]
//! checks every key, digest, media type and size before anything is used.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use skiff_store::media;

use crate::cache::Record;
use crate::error::{BuildError, Result};

/// `artifactType` of the cache manifest.
pub const ARTIFACT_TYPE: &str = "application/vnd.skiff.buildcache.v1";
/// Media type of the config blob (a [`CacheConfig`]).
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.skiff.buildcache.config.v1+json";
/// [`CacheConfig::format`].
pub const FORMAT: &str = "skiff.buildcache.v1";
/// The image config field inline cache metadata lives in.
pub const INLINE_FIELD: &str = "skiff.buildcache.v1";

/// A cache config is read whole into memory: 8 MiB is thousands of steps.
pub const MAX_CONFIG: u64 = skiff_registry::limits::MAX_CONFIG;
/// More records or layers than this is no real build's cache.
const MAX_RECORDS: usize = 20_000;

/// The config blob: every exported step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct CacheConfig {
    pub format: String,
    /// Step cache key (64 hex digits) → what the step produced. Sorted, so
    /// the same steps always give the same blob and digest.
    pub records: BTreeMap<String, Record>,
}

/// A descriptor of the cache manifest (layers and config).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub schema_version: u32,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// The manifest and config bytes for `cfg`, and the layer descriptors.
pub fn manifest_for(cfg: &CacheConfig) -> (Vec<u8>, Vec<u8>, Vec<Descriptor>) {
    let config = serde_json::to_vec(cfg).unwrap_or_default();
    let mut layers: Vec<Descriptor> = Vec::new();
    for l in cfg.records.values().filter_map(|r| r.layer.as_ref()) {
        if !layers.iter().any(|d| d.digest == l.digest) {
            layers.push(Descriptor {
                media_type: l.media_type.clone(),
                digest: l.digest.clone(),
                size: l.size,
            });
        }
    }
    let m = Manifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.into()),
        artifact_type: Some(ARTIFACT_TYPE.into()),
        config: Descriptor {
            media_type: CONFIG_MEDIA_TYPE.into(),
            digest: skiff_store::sha256_digest(&config).to_string(),
            size: config.len() as u64,
        },
        layers: layers.clone(),
    };
    (serde_json::to_vec(&m).unwrap_or_default(), config, layers)
}

fn layer_media_type_ok(mt: &str) -> bool {
    [
        media::OCI_LAYER_GZIP,
        media::OCI_LAYER_ZSTD,
        media::OCI_LAYER_TAR,
        media::DOCKER_LAYER_GZIP,
        media::DOCKER_LAYER_TAR,
    ]
    .contains(&mt)
}

fn is_key(k: &str) -> bool {
    k.len() == 64 && k.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Check every record against the manifest's `layers`: keys are step keys,
/// configs are objects, a record's layer is one of the manifest's (same
/// digest, size and an image layer media type). Returns the records with
/// the descriptor of each one's layer.
pub fn validate(
    cfg: CacheConfig,
    layers: &[Descriptor],
) -> Result<Vec<(String, Record, Option<Descriptor>)>> {
    let bad = |m: String| Err(BuildError::Registry(m));
    if cfg.format != FORMAT {
        return bad(format!(
            "unknown cache format {:?} (this skiff reads {FORMAT})",
            cfg.format
        ));
    }
    if cfg.records.len() > MAX_RECORDS || layers.len() > MAX_RECORDS {
        return bad(format!("more than {MAX_RECORDS} records or layers"));
    }
    let mut out = Vec::with_capacity(cfg.records.len());
    for (key, mut rec) in cfg.records {
        if !is_key(&key) {
            return bad(format!("invalid cache key {key:?}"));
        }
        let Some(config) = rec.config.as_object_mut() else {
            return bad(format!("record {key}: the config is not a JSON object"));
        };
        // A step's config never holds cache metadata: none may ride along
        // into the image.
        config.remove(INLINE_FIELD);
        let desc = match &rec.layer {
            None => None,
            Some(l) => {
                skiff_store::parse_digest(&l.digest)
                    .and_then(|_| skiff_store::parse_digest(&l.diff_id))
                    .map_err(|e| BuildError::Registry(format!("record {key}: {e}")))?;
                if !layer_media_type_ok(&l.media_type) {
                    return bad(format!(
                        "record {key}: {:?} is not a layer media type",
                        l.media_type
                    ));
                }
                let Some(d) = layers.iter().find(|d| d.digest == l.digest) else {
                    return bad(format!(
                        "record {key}: layer {} is not in the manifest",
                        l.digest
                    ));
                };
                if d.size != l.size {
                    return bad(format!(
                        "record {key}: layer {} is {} bytes in the record, {} in the manifest",
                        l.digest, l.size, d.size
                    ));
                }
                Some(d.clone())
            }
        };
        out.push((key, rec, desc));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::LayerRecord;

    fn sample() -> CacheConfig {
        let mut records = BTreeMap::new();
        records.insert(
            "a".repeat(64),
            Record {
                layer: Some(LayerRecord {
                    digest: format!("sha256:{}", "1".repeat(64)),
                    size: 10,
                    diff_id: format!("sha256:{}", "2".repeat(64)),
                    media_type: media::OCI_LAYER_GZIP.into(),
                    uncompressed_size: 20,
                }),
                config: serde_json::json!({"rootfs": {"diff_ids": []}}),
            },
        );
        records.insert(
            "b".repeat(64),
            Record {
                layer: None,
                config: serde_json::json!({}),
            },
        );
        CacheConfig {
            format: FORMAT.into(),
            records,
        }
    }

    #[test]
    fn a_manifest_validates_against_its_own_layers() {
        let cfg = sample();
        let (m, c, layers) = manifest_for(&cfg);
        let m: Manifest = serde_json::from_slice(&m).unwrap();
        assert_eq!(m.config.size, c.len() as u64);
        assert_eq!(m.layers, layers);
        assert_eq!(validate(cfg, &layers).unwrap().len(), 2);
    }

    #[test]
    fn hostile_records_are_refused() {
        let (_, _, layers) = manifest_for(&sample());
        let mut c = sample();
        c.format = "other".into();
        assert!(validate(c, &layers).is_err());
        let mut c = sample();
        let r = c.records.remove(&"b".repeat(64)).unwrap();
        c.records.insert("../x".into(), r);
        assert!(validate(c, &layers).is_err());
        // A layer the manifest does not list, or lists with another size.
        assert!(validate(sample(), &[]).is_err());
        let mut l = layers.clone();
        l[0].size = 11;
        assert!(validate(sample(), &l).is_err());
        let mut c = sample();
        c.records
            .values_mut()
            .next()
            .unwrap()
            .layer
            .as_mut()
            .unwrap()
            .media_type = "text/x".into();
        assert!(validate(c, &layers).is_err());
    }
}
