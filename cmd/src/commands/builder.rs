//! `skiff builder`: the build cache (`builder prune`).

use anyhow::Context as _;
use clap::{Args, Subcommand};

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
    /// Provide filter values (accepted; everything matching is removed)
    #[arg(long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Amount of disk space to keep for cache (accepted for compatibility)
    #[arg(long = "keep-storage", value_name = "BYTES")]
    pub keep_storage: Option<String>,
}

pub fn run(g: &Globals, c: Command) -> anyhow::Result<i32> {
    match c {
        Command::Prune(a) => prune(g, a),
    }
}

fn prune(g: &Globals, a: PruneArgs) -> anyhow::Result<i32> {
    let store = skiff_store::Store::open(&g.root)
        .with_context(|| format!("opening the store at {}", g.root.display()))?;
    let report = skiff_solver::cache::prune(&store, a.all)?;
    for k in &report.removed {
        println!("Deleted build cache object: {k}");
    }
    println!("Total:\t{}", human(report.reclaimed));
    Ok(0)
}

fn human(b: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{b}B")
    } else {
        format!("{v:.3}{}", units[i])
    }
}
