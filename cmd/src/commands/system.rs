//! `skiff system df` and `skiff system prune`.

use std::collections::HashSet;

use clap::{Args, Subcommand};
use skiff_runtime::{lifecycle, volumes, Layout};
use skiff_store::{digest_hex, Store};

use super::image_prune::{confirm, print_deleted_images};
use super::images::{human_size, tabulate};
use crate::globals::Globals;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show skiff disk usage
    Df(DfArgs),
    /// Remove unused data
    Prune(PruneArgs),
}

#[derive(Debug, Default, Args)]
pub struct DfArgs {
    /// Show detailed information on space usage
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Format output using a custom template ('json' or a Go-style template)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
}

#[derive(Debug, Default, Args)]
pub struct PruneArgs {
    /// Remove all unused images not just dangling ones
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Prune anonymous volumes
    #[arg(long)]
    pub volumes: bool,
}

pub fn run(g: &Globals, c: Command) -> anyhow::Result<i32> {
    match c {
        Command::Df(a) => df(g, a),
        Command::Prune(a) => prune(g, a),
    }
}

/// One row of `system df`.
struct Usage {
    kind: &'static str,
    total: usize,
    active: usize,
    size: u64,
    reclaimable: u64,
}

fn df(g: &Globals, a: DfArgs) -> anyhow::Result<i32> {
    let store = Store::open(&g.root)?;
    let mut rows = vec![image_usage(&store)?];
    rows.extend(runtime_usage(&g.root)?);
    rows.push(build_cache_usage(&store));
    let contexts: Vec<serde_json::Value> = rows
        .iter()
        .map(|u| {
            serde_json::json!({
                "Type": u.kind,
                "TotalCount": u.total.to_string(),
                "Active": u.active.to_string(),
                "Size": human_size(u.size),
                "Reclaimable": reclaimable(u),
            })
        })
        .collect();
    match a.format.as_deref() {
        Some("json") => {
            for c in &contexts {
                println!("{c}");
            }
        }
        Some(t) => print!("{}", super::images::render_all(t, &contexts)?),
        None => {
            let mut table = vec![vec![
                "TYPE".to_string(),
                "TOTAL".into(),
                "ACTIVE".into(),
                "SIZE".into(),
                "RECLAIMABLE".into(),
            ]];
            for u in &rows {
                table.push(vec![
                    u.kind.to_string(),
                    u.total.to_string(),
                    u.active.to_string(),
                    human_size(u.size),
                    reclaimable(u),
                ]);
            }
            print!("{}", tabulate(&table));
        }
    }
    if a.verbose {
        println!();
        println!("Images space usage:");
        println!();
        let mut table = vec![vec![
            "REPOSITORY".to_string(),
            "TAG".into(),
            "IMAGE ID".into(),
            "SIZE".into(),
        ]];
        for r in store.list()? {
            table.push(vec![
                r.repository.clone(),
                r.tag.clone(),
                r.id.digest()[..12].to_string(),
                human_size(r.size),
            ]);
        }
        print!("{}", tabulate(&table));
    }
    Ok(0)
}

fn reclaimable(u: &Usage) -> String {
    if u.size == 0 {
        return human_size(u.reclaimable);
    }
    format!(
        "{} ({}%)",
        human_size(u.reclaimable),
        (u.reclaimable as f64 * 100.0 / u.size as f64) as u64
    )
}

/// Images: total count, those pinned by containers, size of their unique
/// layers, and what is held only by unused images.
fn image_usage(store: &Store) -> anyhow::Result<Usage> {
    let rows = store.list()?;
    let mut ids = HashSet::new();
    let mut active_ids = HashSet::new();
    let pins: Vec<String> = store
        .pins()?
        .into_iter()
        .filter(|(owner, _, _)| owner == "containers")
        .flat_map(|(_, _, ds)| ds.into_iter().map(|d| d.to_string()))
        .collect();
    let mut layer_owner: std::collections::HashMap<String, (u64, bool)> = Default::default();
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
        let cfg = store.image_config(&img)?;
        for (i, c) in chains.iter().enumerate() {
            let diff = cfg
                .rootfs()
                .diff_ids()
                .get(i)
                .and_then(|d| skiff_store::parse_digest(d).ok());
            let size = diff
                .and_then(|d| store.layer_size(&d))
                .unwrap_or_else(|| img.manifest.layers().get(i).map(|l| l.size()).unwrap_or(0));
            let e = layer_owner
                .entry(digest_hex(c).to_string())
                .or_insert((size, false));
            e.1 |= active;
        }
    }
    let size = layer_owner.values().map(|(s, _)| s).sum();
    let reclaimable = layer_owner
        .values()
        .filter(|(_, a)| !a)
        .map(|(s, _)| s)
        .sum();
    Ok(Usage {
        kind: "Images",
        total: ids.len(),
        active: active_ids.len(),
        size,
        reclaimable,
    })
}

fn prune(g: &Globals, a: PruneArgs) -> anyhow::Result<i32> {
    let images_line = if a.all {
        "  - all images without at least one container associated to them"
    } else {
        "  - all dangling images"
    };
    let mut warning = String::from("WARNING! This will remove:\n  - all stopped containers\n");
    if a.volumes {
        warning.push_str("  - all anonymous volumes not used by at least one container\n");
    }
    warning.push_str(images_line);
    warning.push_str("\n  - unused build cache\n");
    if !a.force && !confirm(&warning)? {
        return Ok(0);
    }
    let store = Store::open(&g.root)?;
    let mut reclaimed = 0u64;

    // Containers first, so the images they held become unused.
    let layout = Layout::new(super::run::absolute_root(&g.root)?);
    let mut deleted = Vec::new();
    for r in lifecycle::stopped(&layout)? {
        reclaimed += skiff_store::dir_size_of(&layout.container(&r.config.id));
        if lifecycle::remove(&layout, &r.config.id, false, a.volumes).is_ok() {
            deleted.push(r.config.id);
        }
    }
    // Stale networking left by a killed monitor or a runtime that died mid-setup.
    skiff_runtime::net::prune(&layout)?;
    if !deleted.is_empty() {
        println!("Deleted Containers:\n{}\n", deleted.join("\n"));
    }
    if a.volumes {
        for v in volumes::list(&layout)? {
            if v.anonymous && volumes::users(&layout, &v.name).is_empty() {
                reclaimed += skiff_store::dir_size_of(&volumes::data_dir(&layout, &v.name));
                let _ = volumes::remove(&layout, &v.name, false);
            }
        }
    }
    let cache = skiff_solver::cache::prune(&store, a.all)?;
    reclaimed += cache.reclaimed;

    let report = store.prune(a.all)?;
    print_deleted_images(&report);
    reclaimed += report.reclaimed;
    println!("Total reclaimed space: {}", human_size(reclaimed));
    Ok(0)
}

/// Containers and Local Volumes rows, from the runtime's state.
fn runtime_usage(root: &std::path::Path) -> anyhow::Result<[Usage; 2]> {
    let layout = Layout::new(super::run::absolute_root(root)?);
    let records = skiff_runtime::state::list(&layout)?;
    let mut containers = Usage {
        kind: "Containers",
        total: records.len(),
        active: 0,
        size: 0,
        reclaimable: 0,
    };
    for r in &records {
        // docker counts a container's writable layer, not its mounted rootfs.
        let size = skiff_store::dir_size_of(&layout.container(&r.config.id).join("upper"));
        containers.size += size;
        if r.is_running() {
            containers.active += 1;
        } else {
            containers.reclaimable += size;
        }
    }
    let vols = volumes::list(&layout)?;
    let mut local = Usage {
        kind: "Local Volumes",
        total: vols.len(),
        active: 0,
        size: 0,
        reclaimable: 0,
    };
    for v in &vols {
        let size = skiff_store::dir_size_of(&volumes::data_dir(&layout, &v.name));
        local.size += size;
        if volumes::users(&layout, &v.name).is_empty() {
            local.reclaimable += size;
        } else {
            local.active += 1;
        }
    }
    Ok([containers, local])
}

/// Build Cache row: everything under the builder's cache dir is reclaimable
/// by `builder prune` (its layers are counted with the images that use them).
fn build_cache_usage(store: &Store) -> Usage {
    let dir = store.buildcache_dir();
    let total = std::fs::read_dir(&dir)
        .map(|it| {
            it.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                .count()
        })
        .unwrap_or(0);
    let size = skiff_store::dir_size_of(&dir);
    Usage {
        kind: "Build Cache",
        total,
        active: 0,
        size,
        reclaimable: size,
    }
}
