//! `skiff rmi` / `skiff image rm`: untag and delete images, printing docker's
//! `Untagged:` / `Deleted:` lines.

use clap::Args as ClapArgs;
use skiff_store::Store;

use super::refused::image_error;
use crate::exit::Batch;
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Force removal of the image
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Do not delete untagged parents (skiff images have no parent chain,
    /// so nothing else is ever deleted)
    #[arg(long)]
    pub no_prune: bool,
    /// Images to remove (name, ID or name@digest)
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let store = Store::open(&g.root)?;
    // docker keeps going and exits 1 when any image failed.
    let mut batch = Batch::default();
    for name in &a.images {
        match store.remove_image(name, a.force) {
            Ok(r) => {
                for u in r.untagged {
                    say!("Untagged: {u}");
                }
                for d in r.deleted {
                    say!("Deleted: {d}");
                }
            }
            Err(e @ skiff_store::Error::ImageNotFound(_)) => batch.refused(image_error(e)),
            Err(e) => batch.failed(e),
        }
    }
    Ok(batch.code())
}
