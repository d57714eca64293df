//! The image exporter, always run: the config and manifest into the store,
//! then the tags.

use skiff_store::{Digest, LayerInfo, ManifestFlavor, Store};

use crate::error::Result;

/// Store the image (config `bytes` over `layers`) and point every tag at
/// its manifest; returns the manifest digest. Zstd layers need an OCI
/// manifest, otherwise docker's is written (what docker itself pushes).
/// One platform of a multi-platform build (`in_index`) is stored but not
/// registered: the index is the image, as in docker's containerd store.
pub(crate) fn write_image(
    store: &Store,
    bytes: &[u8],
    layers: &[LayerInfo],
    tags: &[String],
    in_index: bool,
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
        .filter(|d| {
            store.has_blob(d) && (in_index || store.lookup(d.as_ref()).ok().as_ref() == Some(d))
        });
    let manifest = match known {
        Some(d) => d,
        None => {
            let d = if in_index {
                store.put_manifest_raw(bytes, layers, flavor)?
            } else {
                store.write_image_raw(bytes, layers, flavor)?
            };
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
/// built, each with the platform asked for) and point every tag at it;
/// returns the index digest.
pub(crate) fn write_index(
    store: &Store,
    images: &[crate::solve::PlatformBuild],
    tags: &[String],
) -> Result<Digest> {
    let manifests = images
        .iter()
        .map(|img| {
            Ok(skiff_store::PlatformManifest {
                digest: skiff_store::parse_digest(&img.result.manifest_digest)?,
                platform: img.platform.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let d = store.write_index(&manifests)?;
    for t in tags {
        store.tag(t, &d)?;
    }
    Ok(d)
}
