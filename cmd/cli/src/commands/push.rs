//! `skiff push`: upload an image of the store to a registry (see
//! skiff-registry's `push`), printing docker's lines.

use super::transfer::{ProgressMode, Transfer, TransferCommand, Verb};
use crate::globals::Globals;

pub type Args = TransferCommand<Push>;

#[derive(Debug, Default)]
pub struct Push;

impl Verb for Push {
    const VERB: &'static str = "push";
    const NAME: &'static str = "NAME[:TAG]";
    const NAME_HELP: &'static str = "Image to push: NAME[:TAG]";
    const PLATFORM_HELP: &'static str = "Push a platform-specific manifest as a single-platform image to the registry (os/arch[/variant]); the image index is not pushed";
    const PLATFORM_ENV: Option<&'static str> = None;

    fn transfer(t: &Transfer, name: &str) -> anyhow::Result<()> {
        let (reference, store, platform) = (&t.reference, &t.store, t.platform.as_ref());
        // Fail on a missing image before touching the network.
        store
            .lookup(&reference.whole())
            .map_err(|_| anyhow::anyhow!("An image does not exist locally with the tag: {name}"))?;
        let result = t.run(|reg, reporter| async move {
            skiff_registry::push::push_platform(
                store,
                &reg,
                &reference.whole(),
                reference,
                platform,
                reporter,
            )
            .await
        })?;
        if t.mode == ProgressMode::Quiet {
            say!("{}", reference.whole());
        } else {
            say!(
                "{}: digest: {} size: {}",
                result.tag,
                result.digest,
                result.size
            );
        }
        Ok(())
    }
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    a.run(g)
}
