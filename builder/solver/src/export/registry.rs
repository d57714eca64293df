//! `--push` / `type=registry`: every tag pushed through skiff-registry.

use std::sync::Arc;

use skiff_store::Store;

use crate::error::{BuildError, Result};
use crate::progress::{Event, Progress};

/// The registry of image `name`, with the user's settings (credentials,
/// mirrors, insecure registries): for pushes and base image pulls alike.
pub(crate) fn connect(
    name: &str,
) -> std::result::Result<(skiff_registry::Reference, skiff_registry::Registry), skiff_registry::Error>
{
    let r = skiff_registry::parse_reference(name)?;
    let opts = skiff_registry::Options::default().with_settings()?;
    let reg = skiff_registry::Registry::connect(&r, &opts)?;
    Ok((r, reg))
}

/// Push every tag.
pub fn push(store: &Store, tags: &[String], progress: &Arc<dyn Progress>) -> Result<()> {
    if tags.is_empty() {
        return Err(BuildError::Invalid(
            "--push needs a name: use -t NAME".into(),
        ));
    }
    let rt = skiff_registry::runtime().map_err(|e| BuildError::Registry(e.to_string()))?;
    for t in tags {
        let err = |e: skiff_registry::Error| BuildError::Registry(format!("pushing {t}: {e}"));
        let (r, reg) = connect(t).map_err(err)?;
        let p = Arc::clone(progress);
        let reporter: skiff_registry::events::Reporter = Arc::new(move |e| {
            if let skiff_registry::events::Event::Line(l) = e {
                p.event(Event::Info(l));
            }
        });
        let res = rt
            .block_on(skiff_registry::push::push(store, &reg, t, &r, reporter))
            .map_err(err)?;
        progress.event(Event::Info(format!(
            "pushed {t}: digest: {} size: {}",
            res.digest, res.size
        )));
    }
    Ok(())
}
