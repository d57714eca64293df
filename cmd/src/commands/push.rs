//! `skiff push`: upload an image of the store to a registry (see
//! skiff-registry's `push`), printing docker's lines.

use clap::Args as ClapArgs;

use super::transfer::{ProgressMode, Transfer, TransferArgs};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Image to push: NAME[:TAG]
    #[arg(value_name = "NAME[:TAG]")]
    pub name: String,

    /// Push a platform-specific manifest as a single-platform image to the
    /// registry (os/arch[/variant]); the image index is not pushed
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    #[command(flatten)]
    pub transfer: TransferArgs,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let platform = a.platform.as_deref();
    a.transfer
        .command(g, &a.name, platform, "push", |t| push(t, &a.name))
}

fn push(t: &Transfer, name: &str) -> anyhow::Result<()> {
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
