//! Disk usage and pruning of containers, volumes and the images containers
//! hold, for `system df` and the prune commands. What counts (a container's
//! writable layer, a volume in use, an image pinned by a container) is the
//! runtime's knowledge, so the CLI only calls and renders.

use std::collections::{HashMap, HashSet};

use skiff_store::{dir_size_of, Store};

use crate::state::{self, Record};
use crate::{lifecycle, volumes, Error, Layout, Result};

/// One row of `system df`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub total: usize,
    pub active: usize,
    pub size: u64,
    pub reclaimable: u64,
}

/// What a prune removed and the space it gave back.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub removed: Vec<String>,
    pub reclaimed: u64,
}

/// Tallies items given as (size, active): an item nothing uses is
/// reclaimable.
impl FromIterator<(u64, bool)> for Usage {
    fn from_iter<I: IntoIterator<Item = (u64, bool)>>(items: I) -> Usage {
        let mut u = Usage::default();
        for (size, active) in items {
            u.total += 1;
            u.size += size;
            if active {
                u.active += 1;
            } else {
                u.reclaimable += size;
            }
        }
        u
    }
}

/// Containers: running ones are active; docker counts a container's
/// writable layer, not its mounted rootfs.
pub fn containers(layout: &Layout) -> Result<Usage> {
    let records = state::list(layout)?;
    Ok(records
        .iter()
        .map(|r| {
            let upper = layout.container(&r.config.id).join("upper");
            (dir_size_of(&upper), r.is_running())
        })
        .collect())
}

/// Local volumes: those some container mounts are active.
pub fn volumes(layout: &Layout) -> Result<Usage> {
    let vols = volumes::list(layout)?;
    Ok(vols
        .iter()
        .map(|v| {
            let in_use = !volumes::users(layout, &v.name).is_empty();
            (dir_size_of(&volumes::data_dir(layout, &v.name)), in_use)
        })
        .collect())
}

/// Images: total count, those pinned by containers (`skiff run` pins the
/// image for the container's lifetime), the size of their unique layers and
/// what only unused images hold.
pub fn images(store: &Store) -> Result<Usage> {
    let store_err = |e: skiff_store::Error| Error::Store(e.to_string());
    let rows = store.list().map_err(store_err)?;
    let pins: HashSet<String> = store
        .pins()
        .map_err(store_err)?
        .into_iter()
        .filter(|(owner, _, _)| owner == "containers")
        .flat_map(|(_, _, ds)| ds.into_iter().map(|d| d.to_string()))
        .collect();
    let mut ids = HashSet::new();
    let mut active_ids = HashSet::new();
    // chain id -> (size, held by an active image)
    let mut layers: HashMap<String, (u64, bool)> = HashMap::new();
    for r in &rows {
        if !ids.insert(r.id.to_string()) {
            continue;
        }
        let active = pins.contains(&r.id.to_string()) || pins.contains(&r.digest.to_string());
        if active {
            active_ids.insert(r.id.to_string());
        }
        let Ok(img) = store.resolve(r.digest.as_ref()) else {
            continue;
        };
        let Ok(chains) = store.image_chain_ids(&img) else {
            continue;
        };
        let cfg = store.image_config(&img).map_err(store_err)?;
        for (i, c) in chains.iter().enumerate() {
            let diff = cfg
                .rootfs()
                .diff_ids()
                .get(i)
                .and_then(|d| skiff_store::parse_digest(d).ok());
            let size = diff
                .and_then(|d| store.layer_size(&d))
                .unwrap_or_else(|| img.manifest.layers().get(i).map(|l| l.size()).unwrap_or(0));
            let e = layers
                .entry(skiff_store::digest_hex(c).to_string())
                .or_insert((size, false));
            e.1 |= active;
        }
    }
    Ok(Usage {
        total: ids.len(),
        active: active_ids.len(),
        size: layers.values().map(|(s, _)| s).sum(),
        reclaimable: layers.values().filter(|(_, a)| !a).map(|(s, _)| s).sum(),
    })
}

/// Remove every stopped container `keep` does not hold back (with
/// `anonymous_volumes`, their anonymous volumes too), then sweep the
/// networking a killed monitor left behind.
pub fn prune_containers(
    layout: &Layout,
    keep: impl Fn(&Record) -> bool,
    anonymous_volumes: bool,
) -> Result<Pruned> {
    let mut out = Pruned::default();
    for r in lifecycle::stopped(layout)? {
        if keep(&r) {
            continue;
        }
        let size = dir_size_of(&layout.container(&r.config.id));
        if lifecycle::remove(layout, &r.config.id, false, anonymous_volumes).is_ok() {
            out.reclaimed += size;
            out.removed.push(r.config.id);
        }
    }
    crate::net::prune(layout)?;
    Ok(out)
}

/// Remove the volumes no container uses: anonymous ones, or all with `all`.
pub fn prune_volumes(layout: &Layout, all: bool) -> Result<Pruned> {
    let mut out = Pruned::default();
    for v in volumes::list(layout)? {
        if !(all || v.anonymous) || !volumes::users(layout, &v.name).is_empty() {
            continue;
        }
        let size = dir_size_of(&volumes::data_dir(layout, &v.name));
        if volumes::remove(layout, &v.name, false).is_ok() {
            out.reclaimed += size;
            out.removed.push(v.name);
        }
    }
    Ok(out)
}

/// A container's size as `ps --size` / `inspect --size` show it: its
/// writable layer (docker's SizeRw) and that plus its image (SizeRootFs).
/// The image part is 0 when there is no store or the image is gone.
pub fn container_size(layout: &Layout, store: Option<&Store>, r: &Record) -> (u64, u64) {
    let rw = dir_size_of(&layout.container(&r.config.id).join("upper"));
    let image = store
        .filter(|_| !r.config.image_id.is_empty())
        .and_then(|s| {
            let img = s.resolve(&r.config.image_id).ok()?;
            s.image_size(&img).ok()
        })
        .unwrap_or(0);
    (rw, rw + image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_nothing_uses_is_reclaimable() {
        let u: Usage = [(10, true), (5, false), (0, false)].into_iter().collect();
        let want = Usage {
            total: 3,
            active: 1,
            size: 15,
            reclaimable: 5,
        };
        assert_eq!(u, want);
    }
}
