//! `skiff push`: upload an image of the store to a registry (see
//! skiff-registry's `push`), printing docker's lines.

use anyhow::Context;

use clap::Args as ClapArgs;
use skiff_registry::Registry;

use super::transfer::{ProgressMode, Renderer, TransferArgs};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Image to push: NAME[:TAG]
    #[arg(value_name = "NAME[:TAG]")]
    pub name: String,

    /// Push all tags of the repository (not supported yet)
    #[arg(short = 'a', long)]
    pub all_tags: bool,

    #[command(flatten)]
    pub transfer: TransferArgs,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if a.all_tags {
        anyhow::bail!("--all-tags is not supported yet: push tags one by one");
    }
    let reference = skiff_registry::parse_reference(&a.name)?;
    let opts = a.transfer.registry.options()?;
    let store = skiff_store::Store::open(&g.root)
        .with_context(|| format!("opening the store at {}", g.root.display()))?;
    // Fail on a missing image before touching the network.
    store
        .lookup(&reference.whole())
        .map_err(|_| anyhow::anyhow!("An image does not exist locally with the tag: {}", a.name))?;
    let mode = a.transfer.mode()?;
    let renderer = Renderer::new(mode);
    let rt = skiff_registry::runtime()?;
    let reg = Registry::connect(&reference, &opts)?;
    let result = rt.block_on(skiff_registry::push::push(
        &store,
        &reg,
        &reference.whole(),
        &reference,
        renderer.reporter(),
    ));
    renderer.finish();
    let result = result?;
    if mode == ProgressMode::Quiet {
        say!("{}", reference.whole());
    } else {
        say!(
            "{}: digest: {} size: {}",
            result.tag,
            result.digest,
            result.size
        );
    }
    Ok(0)
}
