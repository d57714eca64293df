//! `skiff rename`: give a container a new name.

use clap::Args as ClapArgs;
use skiff_runtime::{rename, state};

use super::refused::daemon;
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Container name or ID
    pub container: String,
    /// New name
    pub new_name: String,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if a.container.is_empty() || a.new_name.is_empty() {
        anyhow::bail!("Neither old nor new names may be empty");
    }
    let layout = g.layout()?;
    let id = daemon(state::resolve(&layout, &a.container))?;
    daemon(rename::rename(&layout, &id, &a.new_name))?;
    Ok(0)
}
