//! The image exporter, always run: the config and manifest into the store,
//! then the tags.

use skiff_store::{Digest, LayerInfo, ManifestFlavor, Store};

use crate::error::Result;

/// Store the image (config `bytes` over `layers`) and point every tag at
/// its manifest; returns the manifest digest. Zstd layers need an OCI
/// manifest, otherwise docker's is written (what docker itself pushes).
pub(crate) fn write_image(
    store: &Store,
    bytes: &[u8],
    layers: &[LayerInfo],
    tags: &[String],
) -> Result<Digest> {
    let flavor = if layers.iter().any(|l| l.media_type.contains("zstd")) {
        ManifestFlavor::Oci
    } else {
        ManifestFlavor::Docker
    };
    // A rebuild that changed nothing finds its manifest already stored and
    // registered: no blob, index or tag write (no fsync) at all.
    let layer_list: Vec<String> = layers
        .iter()
        .map(|l| format!("{}:{}", l.digest, l.media_type))
        .collect();
    let image_key = crate::cache::key(&[
        "image",
        &String::from_utf8_lossy(bytes),
        if flavor == ManifestFlavor::Oci {
            "oci"
        } else {
            "docker"
        },
        &layer_list.join(","),
    ]);
    let rec_dir = store.buildcache_dir().join("images");
    let rec_path = rec_dir.join(&image_key);
    let known = std::fs::read_to_string(&rec_path)
        .ok()
        .and_then(|s| skiff_store::parse_digest(s.trim()).ok())
        .filter(|d| store.has_blob(d) && store.lookup(d.as_ref()).ok().as_ref() == Some(d));
    let manifest = match known {
        Some(d) => d,
        None => {
            let d = store.write_image_raw(bytes, layers, flavor)?;
            let tmp = rec_dir.join(format!(".{image_key}.{}", std::process::id()));
            // Best effort: a missing record only costs the writes above.
            if std::fs::create_dir_all(&rec_dir).is_ok()
                && std::fs::write(&tmp, d.to_string()).is_ok()
            {
                let _ = std::fs::rename(&tmp, &rec_path);
            }
            d
        }
    };
    for t in tags {
        if store.lookup(t).ok().as_ref() != Some(&manifest) {
            store.tag(t, &manifest)?;
        }
    }
    Ok(manifest)
}

/// Store an OCI image index over the platforms' manifests (in the order
/// built) and point every tag at it; returns the index digest. Entries
/// carry the platform asked for, arm64 with its implied `v8` as BuildKit
/// and the registries' own indexes spell it.
pub(crate) fn write_index(
    store: &Store,
    images: &[crate::solve::PlatformBuild],
    tags: &[String],
) -> Result<Digest> {
    let mut manifests = Vec::new();
    for img in images {
        let digest = skiff_store::parse_digest(&img.result.manifest_digest)?;
        let bytes = store.read_blob(&digest)?;
        let media_type = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v["mediaType"].as_str().map(str::to_string))
            .unwrap_or_else(|| skiff_store::media::OCI_MANIFEST.to_string());
        let p = &img.platform;
        let mut platform = serde_json::json!({"architecture": p.architecture, "os": p.os});
        if let Some(v) = p.variant_or_implied() {
            platform["variant"] = serde_json::json!(v);
        }
        manifests.push(serde_json::json!({
            "mediaType": media_type,
            "digest": digest.to_string(),
            "size": bytes.len(),
            "platform": platform,
        }));
    }
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": skiff_store::media::OCI_INDEX,
        "manifests": manifests,
    });
    let bytes = serde_json::to_vec_pretty(&index)
        .map_err(|e| crate::error::BuildError::Invalid(format!("image index: {e}")))?;
    let d = store.put_blob(&bytes, None)?.digest;
    store.add_image(&d)?;
    for t in tags {
        store.tag(t, &d)?;
    }
    Ok(d)
}
