//! What the prune commands (image, container, volume, network, builder,
//! system) share: docker's confirmation prompt and their reports.

use std::io::BufRead;

use crate::format::{emit, human_size};

/// Go ahead with `--force`, else ask docker's question; anything but y/Y
/// declines.
pub fn go_ahead(force: bool, warning: &str) -> anyhow::Result<bool> {
    Ok(force || confirm(warning)?)
}

/// docker's prompt; anything but y/Y declines.
pub fn confirm(warning: &str) -> anyhow::Result<bool> {
    emit(&format!(
        "{warning}\nAre you sure you want to continue? [y/N] "
    ));
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// The `Deleted Images:` block docker prints (nothing when nothing went).
pub fn print_deleted_images(r: &skiff_store::PruneReport) {
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
