//! `skiff pull`: download an image from a registry (see skiff-registry's
//! `pull` for how), printing docker's lines.

use anyhow::Context;
use clap::Args as ClapArgs;
use skiff_registry::pull::PullOptions;
use skiff_registry::{Platform, Registry};

use super::transfer::{ProgressMode, Renderer, TransferArgs};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Image to pull: NAME[:TAG|@DIGEST]
    #[arg(value_name = "NAME[:TAG|@DIGEST]")]
    pub name: String,

    /// Set platform if server is multi-platform capable (os/arch[/variant])
    #[arg(long, env = "DOCKER_DEFAULT_PLATFORM", value_name = "PLATFORM")]
    pub platform: Option<String>,

    /// Download all tagged images in the repository (not supported yet)
    #[arg(short = 'a', long)]
    pub all_tags: bool,

    #[command(flatten)]
    pub transfer: TransferArgs,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if a.all_tags {
        anyhow::bail!("--all-tags is not supported yet: pull tags one by one");
    }
    let reference = skiff_registry::parse_reference(&a.name)?;
    let platform = a.platform.as_deref().map(Platform::parse).transpose()?;
    let opts = a.transfer.registry.options()?;
    let store = skiff_store::Store::open(&g.root)
        .with_context(|| format!("opening the store at {}", g.root.display()))?;
    let mode = a.transfer.mode()?;
    let renderer = Renderer::new(mode);
    let last = a.name.rsplit('/').next().unwrap_or(&a.name);
    if mode != ProgressMode::Quiet && !last.contains(':') && !a.name.contains('@') {
        say!("Using default tag: latest");
    }
    let rt = skiff_registry::runtime()?;
    let reg = Registry::connect(&reference, &opts)?;
    let result = rt.block_on(skiff_registry::pull::pull(
        &store,
        &reg,
        &reference,
        &PullOptions { platform },
        renderer.reporter(),
    ));
    renderer.finish();
    let result = result?;
    let whole = reference.whole();
    if mode != ProgressMode::Quiet {
        let familiar = skiff_store::normalize_reference(&whole)
            .map(|r| r.familiar())
            .unwrap_or_else(|_| whole.clone());
        say!("Digest: {}", result.digest);
        if result.downloaded {
            say!("Status: Downloaded newer image for {familiar}");
        } else {
            say!("Status: Image is up to date for {familiar}");
        }
    }
    say!("{whole}");
    Ok(0)
}
