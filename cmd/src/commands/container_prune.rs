//! `skiff container prune`: remove every stopped container.

use clap::Args as ClapArgs;
use skiff_runtime::{lifecycle, Layout};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values (label=, until= are accepted; label= is applied)
    #[arg(long)]
    pub filter: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = Layout::new(super::run::absolute_root(&g.root)?);
    let mut removed = Vec::new();
    for r in lifecycle::stopped(&layout)? {
        let keep = a.filter.iter().any(|f| match f.strip_prefix("label=") {
            Some(l) => match l.split_once('=') {
                Some((k, v)) => !r.config.labels.iter().any(|(lk, lv)| lk == k && lv == v),
                None => !r.config.labels.iter().any(|(lk, _)| lk == l),
            },
            None => false,
        });
        if keep {
            continue;
        }
        if lifecycle::remove(&layout, &r.config.id, false, false).is_ok() {
            removed.push(r.config.id);
        }
    }
    if !removed.is_empty() {
        println!("Deleted Containers:");
        for id in &removed {
            println!("{id}");
        }
        println!();
    }
    println!("Total reclaimed space: 0B");
    Ok(0)
}
