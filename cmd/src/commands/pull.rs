//! `skiff pull`: download an image from a registry (see skiff-registry's
//! `pull` for how), printing docker's lines.

use clap::Args as ClapArgs;
use skiff_registry::pull::PullOptions;

use super::transfer::{ProgressMode, Transfer, TransferArgs};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Image to pull: NAME[:TAG|@DIGEST]
    #[arg(value_name = "NAME[:TAG|@DIGEST]")]
    pub name: String,

    /// Set platform if server is multi-platform capable (os/arch[/variant])
    #[arg(long, env = "DOCKER_DEFAULT_PLATFORM", value_name = "PLATFORM")]
    pub platform: Option<String>,

    #[command(flatten)]
    pub transfer: TransferArgs,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let platform = a.platform.as_deref();
    a.transfer
        .command(g, &a.name, platform, "pull", |t| pull(t, &a.name))
}

fn pull(t: &Transfer, name: &str) -> anyhow::Result<()> {
    let last = name.rsplit('/').next().unwrap_or(name);
    if t.mode != ProgressMode::Quiet && !last.contains(':') && !name.contains('@') {
        say!("Using default tag: latest");
    }
    say!("{}", pull_image(t)?);
    Ok(())
}

/// Pull `t.reference` (for `t.platform`) into the store with docker's lines (layer progress,
/// `Digest:`, `Status:`): the one pull path, `skiff pull`'s and the one
/// `run` and `create` take for a missing image. Returns the full reference
/// pulled (`docker.io/library/busybox:latest`).
pub fn pull_image(t: &Transfer) -> anyhow::Result<String> {
    let (reference, store, platform) = (&t.reference, &t.store, t.platform.clone());
    let result = t.run(|reg, reporter| async move {
        skiff_registry::pull::pull(store, &reg, reference, &PullOptions { platform }, reporter)
            .await
    })?;
    let whole = reference.whole();
    if t.mode != ProgressMode::Quiet {
        let familiar = skiff_store::normalize_reference(&whole)
            .map(|r| r.familiar())
            .unwrap_or_else(|_| whole.clone());
        t.say(&format!("Digest: {}", result.digest));
        if result.downloaded {
            t.say(&format!("Status: Downloaded newer image for {familiar}"));
        } else {
            t.say(&format!("Status: Image is up to date for {familiar}"));
        }
    }
    Ok(whole)
}
