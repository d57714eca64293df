//! `skiff image prune [-a] [-f]`.

use clap::Args as ClapArgs;
use skiff_store::Store;

use super::prune_shared::{go_ahead, print_deleted_images};
use crate::format::human_size;
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Remove all unused images, not just dangling ones
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values (not supported yet; rejected rather than ignored)
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if let Some(f) = a.filter.first() {
        anyhow::bail!("--filter {f:?}: image prune filters are not supported yet");
    }
    let warning = if a.all {
        "WARNING! This will remove all images without at least one container associated to them."
    } else {
        "WARNING! This will remove all dangling images."
    };
    if !go_ahead(a.force, warning)? {
        return Ok(0);
    }
    let store = Store::open(&g.root)?;
    let report = store.prune(a.all)?;
    print_deleted_images(&report);
    say!("Total reclaimed space: {}", human_size(report.reclaimed));
    Ok(0)
}
