//! `skiff pull`: download an image from a registry (see skiff-registry's
//! `pull` for how), printing docker's lines.

use skiff_registry::pull::PullOptions;

use super::transfer::{ProgressMode, Transfer, TransferCommand, Verb};
use crate::globals::Globals;

pub type Args = TransferCommand<Pull>;

#[derive(Debug, Default)]
pub struct Pull;

impl Verb for Pull {
    const VERB: &'static str = "pull";
    const NAME: &'static str = "NAME[:TAG|@DIGEST]";
    const NAME_HELP: &'static str = "Image to pull: NAME[:TAG|@DIGEST]";
    const PLATFORM_HELP: &'static str =
        "Set platform if server is multi-platform capable (os/arch[/variant])";
    const PLATFORM_ENV: Option<&'static str> = Some("DOCKER_DEFAULT_PLATFORM");

    fn transfer(t: &Transfer, name: &str) -> anyhow::Result<()> {
        let last = name.rsplit('/').next().unwrap_or(name);
        if t.mode != ProgressMode::Quiet && !last.contains(':') && !name.contains('@') {
            say!("Using default tag: latest");
        }
        say!("{}", pull_image(t)?);
        Ok(())
    }
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    a.run(g)
}

/// Pull `t.reference` (for `t.platform`) into the store with docker's
/// lines (layer progress, `Digest:`, `Status:`): the one pull path, `skiff
/// pull`'s and the one `run` and `create` take for a missing image.
/// Returns the full reference pulled (`docker.io/library/busybox:latest`).
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
