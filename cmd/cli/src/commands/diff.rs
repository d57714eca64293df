//! `skiff diff`: the files a container added (A), changed (C) or deleted
//! (D) compared with its image.

use clap::Args as ClapArgs;
use skiff_runtime::{diff, state};

use super::refused::daemon;
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Container name or ID
    pub container: String,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = g.layout()?;
    let id = daemon(state::resolve(&layout, &a.container))?;
    for (kind, path) in daemon(diff::changes(&layout, &id))? {
        say!("{} {}", kind.letter(), path.display());
    }
    Ok(0)
}
