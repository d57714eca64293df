//! `skiff builder`: the build cache (`builder prune`).

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::exit::unsupported;
use crate::format::human_size;
use crate::globals::Globals;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Remove build cache
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Remove all unused build cache, cache mounts included
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Provide filter values (not supported yet; refused rather than ignored)
    #[arg(long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Amount of disk space to keep for cache (not supported yet; refused)
    #[arg(long, value_name = "BYTES")]
    pub keep_storage: Option<String>,
}

pub fn run(g: &Globals, c: Command) -> anyhow::Result<i32> {
    match c {
        Command::Prune(a) => prune(g, a),
    }
}

fn prune(g: &Globals, a: PruneArgs) -> anyhow::Result<i32> {
    if let Some(f) = a.filters.first() {
        return Err(unsupported(
            &format!("--filter {f:?}"),
            "builder prune removes the whole cache (or all of it with --all)",
        ));
    }
    if a.keep_storage.is_some() {
        return Err(unsupported(
            "--keep-storage",
            "builder prune removes the whole cache",
        ));
    }
    let warning = if a.all {
        "WARNING! This will remove all build cache."
    } else {
        "WARNING! This will remove all dangling build cache."
    };
    if !super::prune_shared::go_ahead(a.force, warning)? {
        return Ok(0);
    }
    let store = skiff_store::Store::open(&g.root)
        .with_context(|| format!("opening the store at {}", g.root.display()))?;
    let report = skiff_solver::cache::prune(&store, a.all)?;
    for k in &report.removed {
        say!("Deleted build cache object: {k}");
    }
    say!("Total:\t{}", human_size(report.reclaimed));
    Ok(0)
}
