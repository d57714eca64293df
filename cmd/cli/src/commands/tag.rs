//! `skiff tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`.

use clap::Args as ClapArgs;
use skiff_store::Store;

use super::refused::{daemon, image_error};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Image to tag (name, ID or name@digest)
    #[arg(value_name = "SOURCE_IMAGE[:TAG]")]
    pub source: String,
    /// New reference
    #[arg(value_name = "TARGET_IMAGE[:TAG]")]
    pub target: String,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    run_args(g, a).map_err(crate::exit::exits_one)
}

fn run_args(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let store = Store::open(&g.root)?;
    let digest = daemon(store.lookup(&a.source).map_err(image_error))?;
    store.tag(&a.target, &digest)?;
    Ok(0)
}
