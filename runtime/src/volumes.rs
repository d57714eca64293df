//! Named volumes: `<root>/volumes/<name>/_data` plus a small metadata file,
//! the layout docker uses under /var/lib/docker/volumes.

use serde::{Deserialize, Serialize};

use crate::error::{io_at, Error, Result};
use crate::paths::Layout;
use crate::state;

/// docker's copy-up of the image's files into a new volume, by descriptors.
pub use crate::copyup::copy_up;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Volume {
    pub name: String,
    pub created: String,
    #[serde(default)]
    pub labels: Vec<(String, String)>,
    #[serde(default)]
    pub anonymous: bool,
}

pub fn valid_name(name: &str) -> bool {
    state::valid_name(name)
}

pub fn data_dir(layout: &Layout, name: &str) -> std::path::PathBuf {
    layout.volume(name).join("_data")
}

/// Create the volume if it does not exist (docker's `volume create` and
/// `-v name:/path` are both idempotent). Returns whether it was new.
pub fn ensure(
    layout: &Layout,
    name: &str,
    labels: &[(String, String)],
    anonymous: bool,
) -> Result<bool> {
    if !valid_name(name) {
        return Err(Error::Invalid(format!(
            "\"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed"
        )));
    }
    let dir = layout.volume(name);
    let meta = dir.join("volume.json");
    if meta.exists() {
        return Ok(false);
    }
    let data = dir.join("_data");
    std::fs::create_dir_all(&data).map_err(|e| io_at("cannot create volume", &data, e))?;
    let v = Volume {
        name: name.to_string(),
        created: crate::now_rfc3339(),
        labels: labels.to_vec(),
        anonymous,
    };
    let json = serde_json::to_vec_pretty(&v).map_err(|e| Error::Runtime(e.to_string()))?;
    crate::state::write_private(&meta, &json, true)?;
    Ok(true)
}

pub fn load(layout: &Layout, name: &str) -> Result<Volume> {
    let meta = layout.volume(name).join("volume.json");
    let data = std::fs::read(&meta).map_err(|_| Error::NoSuchVolume(name.to_string()))?;
    serde_json::from_slice(&data).map_err(|e| Error::Runtime(format!("{}: {e}", meta.display())))
}

pub fn list(layout: &Layout) -> Result<Vec<Volume>> {
    let dir = layout.volumes();
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_at("cannot read", &dir, e)),
    };
    for e in entries.flatten() {
        if let Ok(v) = load(layout, &e.file_name().to_string_lossy()) {
            out.push(v);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Containers (ids) whose config mounts the volume.
pub fn users(layout: &Layout, name: &str) -> Vec<String> {
    state::list(layout)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r.config
                .mounts
                .iter()
                .any(|m| m.kind == crate::config::MountKind::Volume && m.source == name)
        })
        .map(|r| r.config.id)
        .collect()
}

pub fn remove(layout: &Layout, name: &str, force: bool) -> Result<()> {
    load(layout, name)?;
    let users = users(layout, name);
    if !users.is_empty() && !force {
        return Err(Error::Invalid(format!(
            "remove {name}: volume is in use - [{}]",
            users.join(", ")
        )));
    }
    let dir = layout.volume(name);
    std::fs::remove_dir_all(&dir).map_err(|e| io_at("cannot remove volume", &dir, e))
}
