//! `skiff image prune [-a] [-f]`.

use std::io::BufRead;

use clap::Args as ClapArgs;
use skiff_store::{PruneReport, Store};

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
    #[arg(long = "filter", value_name = "FILTER")]
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
    if !a.force && !confirm(warning)? {
        return Ok(0);
    }
    let store = Store::open(&g.root)?;
    let report = store.prune(a.all)?;
    print_deleted_images(&report);
    say!("Total reclaimed space: {}", human_size(report.reclaimed));
    Ok(0)
}

/// docker's prompt; anything but y/Y declines.
pub fn confirm(warning: &str) -> anyhow::Result<bool> {
    crate::format::emit(&format!(
        "{warning}\nAre you sure you want to continue? [y/N] "
    ));
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// The `Deleted Images:` block docker prints (nothing when nothing went).
pub fn print_deleted_images(r: &PruneReport) {
    if r.untagged.is_empty() && r.deleted_images.is_empty() {
        return;
    }
    say!("Deleted Images:");
    for u in &r.untagged {
        say!("untagged: {u}");
    }
    for d in &r.deleted_images {
        say!("deleted: {d}");
    }
    say!();
}

/// The report of `container prune` / `volume prune`: what went under
/// `heading`, then the total.
pub fn print_pruned(heading: &str, p: &skiff_runtime::usage::Pruned) {
    if !p.removed.is_empty() {
        say!("{heading}");
        for id in &p.removed {
            say!("{id}");
        }
        say!();
    }
    say!("Total reclaimed space: {}", human_size(p.reclaimed));
}
