//! `--cache-to type=registry` and `type=local`: the collected records as a
//! cache manifest pushed to a registry, or written into an OCI layout
//! directory (blobs/, index.json naming it by tag), as buildx's exporters.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};
use skiff_core::atomic::{atomic_write, Durability};
use skiff_store::{media, Store};

use super::format::{self, CacheConfig, Descriptor};
use crate::error::{io_at, BuildError, Result};

fn atomic_err(e: skiff_core::atomic::AtomicWriteError) -> BuildError {
    BuildError::Invalid(e.to_string())
}

/// Push the cache manifest for `cfg` to `reference`; returns its digest.
pub(super) fn to_registry(
    store: &Store,
    reference: &str,
    cfg: &CacheConfig,
    log: &dyn Fn(String),
) -> Result<String> {
    let reg_err = |e: skiff_registry::Error| BuildError::Registry(e.to_string());
    let (manifest, config, layers) = format::manifest_for(cfg);
    let (r, reg) = crate::export::registry::connect(reference).map_err(reg_err)?;
    let rt = skiff_registry::runtime().map_err(reg_err)?;
    for l in &layers {
        log(format!("writing layer {}", l.digest));
    }
    let blobs: Vec<(String, u64)> = layers.iter().map(|l| (l.digest.clone(), l.size)).collect();
    let digest = rt
        .block_on(skiff_registry::artifact::push_artifact(
            store,
            &reg,
            &r,
            &blobs,
            &config,
            &manifest,
            media::OCI_MANIFEST,
        ))
        .map_err(reg_err)?;
    log(format!(
        "writing config {}",
        skiff_store::sha256_digest(&config)
    ));
    log(format!("writing cache manifest {digest}"));
    Ok(digest)
}

/// Write the cache manifest for `cfg` into the OCI layout at `dest`, named
/// `tag` in its index.json (other tags there are kept).
pub(super) fn to_local(
    store: &Store,
    dest: &Path,
    tag: &str,
    cfg: &CacheConfig,
    log: &dyn Fn(String),
) -> Result<String> {
    let (manifest, config, layers) = format::manifest_for(cfg);
    let blobs = dest.join("blobs").join("sha256");
    fs::create_dir_all(&blobs).map_err(io_at(&blobs))?;
    for l in &layers {
        log(format!("writing layer {}", l.digest));
        copy_blob(store, &blobs, l)?;
    }
    let config_digest = skiff_store::sha256_digest(&config).to_string();
    log(format!("writing config {config_digest}"));
    write_blob(&blobs, &config_digest, &config)?;
    let digest = skiff_store::sha256_digest(&manifest).to_string();
    log(format!("writing cache manifest {digest}"));
    write_blob(&blobs, &digest, &manifest)?;
    atomic_write(
        &dest.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
        Durability::Durable,
    )
    .map_err(atomic_err)?;
    let index_path = dest.join("index.json");
    // Two builds exporting other tags to one directory: read, change and
    // write index.json under one lock, so neither loses the other's entry.
    let _lock = skiff_core::lock::lock_file(
        &dest.join(".skiff-index.lock"),
        skiff_core::lock::LockKind::Exclusive,
    )
    .map_err(|e| BuildError::Registry(format!("cache {}: {e}", dest.display())))?;
    let mut entries: Vec<Value> = match fs::read(&index_path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io_at(&index_path)(e)),
        // An index.json that is not one is the user's, not ours to replace
        // (its other tags would be lost).
        Ok(b) => serde_json::from_slice::<Value>(&b)
            .ok()
            .and_then(|v| v.get("manifests").and_then(Value::as_array).cloned())
            .ok_or_else(|| {
                BuildError::Registry(format!(
                    "cache {}: index.json is not an OCI index",
                    dest.display()
                ))
            })?,
    };
    entries.retain(|e| e["annotations"][super::REF_NAME].as_str() != Some(tag));
    entries.push(json!({
        "mediaType": media::OCI_MANIFEST,
        "digest": digest,
        "size": manifest.len(),
        "annotations": { super::REF_NAME: tag },
    }));
    let index = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": entries,
    });
    atomic_write(
        &index_path,
        &serde_json::to_vec(&index).unwrap_or_default(),
        Durability::Durable,
    )
    .map_err(atomic_err)?;
    Ok(digest)
}

fn hex_of(digest: &str) -> &str {
    digest.split_once(':').map(|(_, h)| h).unwrap_or(digest)
}

fn write_blob(blobs: &Path, digest: &str, bytes: &[u8]) -> Result<()> {
    let p = blobs.join(hex_of(digest));
    if p.exists() {
        return Ok(());
    }
    atomic_write(&p, bytes, Durability::Durable).map_err(atomic_err)
}

/// A layer blob from the store into the layout, unless it is there.
fn copy_blob(store: &Store, blobs: &Path, l: &Descriptor) -> Result<()> {
    let p = blobs.join(hex_of(&l.digest));
    if fs::metadata(&p).is_ok_and(|m| m.len() == l.size) {
        return Ok(());
    }
    let d = skiff_store::parse_digest(&l.digest)?;
    let mut src = store.open_blob(&d)?;
    let tmp = skiff_core::atomic::temp_path_for(&p);
    let r = (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        std::io::copy(&mut src, &mut f)?;
        f.flush()?;
        f.sync_all()?;
        fs::rename(&tmp, &p)?;
        skiff_core::atomic::sync_dir(blobs)
    })();
    if r.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    r.map_err(io_at(&p))
}
