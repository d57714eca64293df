//! `skiff system df` and `skiff system prune`.

use clap::{Args, Subcommand};
use skiff_runtime::usage::{self, Usage};
use skiff_store::Store;

use super::prune_shared::{go_ahead, print_deleted_images};
use crate::format::{emit, human_size, print_list, render_list, Columns};
use crate::globals::Globals;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show skiff disk usage
    Df(DfArgs),
    /// Remove unused data
    Prune(PruneArgs),
    /// Display system-wide information
    Info(super::info::Args),
    /// Get real time events from skiff's event log
    Events(super::events::Args),
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
        Command::Info(a) => super::info::run(g, a),
        Command::Events(a) => super::events::run(g, a),
    }
}

fn df(g: &Globals, a: DfArgs) -> anyhow::Result<i32> {
    let store = Store::open(&g.root)?;
    let layout = g.layout()?;
    let cache = skiff_solver::usage::cache_usage(&store);
    let rows = [
        ("Images", usage::images(&store)?),
        ("Containers", usage::containers(&layout)?),
        ("Local Volumes", usage::volumes(&layout)?),
        (
            "Build Cache",
            Usage {
                total: cache.entries,
                active: 0,
                size: cache.size,
                reclaimable: cache.size,
            },
        ),
    ];
    let contexts: Vec<serde_json::Value> = rows
        .iter()
        .map(|(kind, u)| {
            serde_json::json!({
                "Type": kind,
                "TotalCount": u.total.to_string(),
                "Active": u.active.to_string(),
                "Size": human_size(u.size),
                "Reclaimable": reclaimable(u),
            })
        })
        .collect();
    let columns = Columns {
        default: "{{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        titles: &[("TotalCount", "TOTAL")],
    };
    print_list(a.format.as_deref(), &columns, &contexts)?;
    if a.verbose {
        let images: Vec<serde_json::Value> = store
            .list()?
            .iter()
            .map(|r| {
                serde_json::json!({
                    "Repository": r.repository,
                    "Tag": r.tag,
                    "ID": r.id.digest()[..12],
                    "Size": human_size(r.size),
                })
            })
            .collect();
        let columns = Columns {
            default: "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}",
            titles: &[("ID", "IMAGE ID")],
        };
        emit("\nImages space usage:\n\n");
        emit(&render_list(None, &columns, &images)?);
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
    if !go_ahead(a.force, &warning)? {
        return Ok(0);
    }
    let store = Store::open(&g.root)?;
    let layout = g.layout()?;
    // Containers first, so the images they held become unused.
    let containers = usage::prune_containers(&layout, |_| false, a.volumes)?;
    let mut reclaimed = containers.reclaimed;
    if !containers.removed.is_empty() {
        say!("Deleted Containers:\n{}\n", containers.removed.join("\n"));
    }
    if a.volumes {
        reclaimed += usage::prune_volumes(&layout, false)?.reclaimed;
    }
    reclaimed += skiff_solver::cache::prune(&store, a.all)?.reclaimed;
    let report = store.prune(a.all)?;
    print_deleted_images(&report);
    reclaimed += report.reclaimed;
    say!("Total reclaimed space: {}", human_size(reclaimed));
    Ok(0)
}
