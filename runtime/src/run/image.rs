//! The pieces of an image a container is made from: its layers and the
//! parts of its config that `run` combines with the flags.

use std::path::PathBuf;

use skiff_store::oci_spec::image::{Config, Digest, ImageConfiguration};

use super::options::{Fetch, ImageSource, Platform, Pull, PullRequest};
use crate::error::{io, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct RunImage {
    /// The reference as the user typed it (or the rootfs directory).
    pub reference: String,
    pub id: String,
    /// Unpacked layer directories, base first.
    pub layers: Vec<PathBuf>,
    /// The image's config (Env, Entrypoint, Cmd, User, VOLUMEs...); empty
    /// for a rootfs directory.
    pub config: Config,
    /// What the container pins in the store against GC and `rmi`.
    pub pins: Vec<Digest>,
    /// The platform its config names; `None` for a rootfs directory.
    pub platform: Option<Platform>,
}

/// An optional list of an image config, empty when unset.
pub(super) fn list(v: &Option<Vec<String>>) -> Vec<String> {
    v.clone().unwrap_or_default()
}

/// An optional string of an image config, empty when unset.
pub(super) fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

impl RunImage {
    /// Resolve `source` (an image in `store`, or a rootfs directory),
    /// pulling it through `fetch` as its `--pull` policy says and
    /// unpacking the image's layers if needed.
    pub fn resolve(
        store: &skiff_store::Store,
        source: &ImageSource,
        fetch: &mut Fetch<'_>,
    ) -> Result<RunImage> {
        match source {
            ImageSource::Store {
                reference,
                pull,
                platform,
            } => from_store(store, reference, *pull, platform.as_ref(), fetch),
            ImageSource::RootfsDir(dir) => from_rootfs(dir),
        }
    }
}

/// `--rootfs DIR`: the directory is the (read-only) lower layer.
fn from_rootfs(dir: &str) -> Result<RunImage> {
    let p = std::fs::canonicalize(dir).map_err(|e| io(format!("rootfs {dir}"), e))?;
    if !p.is_dir() {
        return Err(Error::Invalid(format!("rootfs {dir} is not a directory")));
    }
    Ok(RunImage {
        reference: p.to_string_lossy().into_owned(),
        layers: vec![p],
        ..Default::default()
    })
}

/// docker's `--pull` rules: `always` pulls first; `missing` pulls when the
/// image, or its `--platform` variant, is not in the store; `never` fails.
fn from_store(
    store: &skiff_store::Store,
    reference: &str,
    pull: Pull,
    platform: Option<&Platform>,
    fetch: &mut Fetch<'_>,
) -> Result<RunImage> {
    let request = |missing| PullRequest {
        reference,
        platform,
        missing,
    };
    if pull == Pull::Always {
        fetch(request(false))?;
    }
    let (img, config, have) = match find(store, reference, platform)? {
        Ok(found) => found,
        Err(absent) if pull == Pull::Missing => {
            // docker pulls an image here only for another platform too; when
            // that fails (a locally built index, no registry), the store's
            // reason (the platforms the image has) is the useful one.
            if let Err(e) = fetch(request(true)) {
                return Err(match store.lookup(reference) {
                    Ok(_) if platform.is_some() => Error::Invalid(absent),
                    _ => e,
                });
            }
            find(store, reference, platform)?.map_err(Error::Invalid)?
        }
        Err(absent) => return Err(Error::Invalid(absent)),
    };
    let layers = store.image_layers_with(&img, &config).map_err(store_err)?;
    Ok(RunImage {
        reference: reference.to_string(),
        id: img.id().to_string(),
        layers,
        config: config.config().clone().unwrap_or_default(),
        pins: vec![img.digest.clone(), img.config_digest.clone()],
        platform: Some(have),
    })
}

type Found = (skiff_store::Image, ImageConfiguration, Platform);

/// The image `reference` names, for `platform` when one is asked for;
/// `Ok(Err(why))` when it is absent (not in the store, or only for another
/// platform: docker pulls then), `Err` when the store itself fails.
fn find(
    store: &skiff_store::Store,
    reference: &str,
    platform: Option<&Platform>,
) -> Result<std::result::Result<Found, String>> {
    let looked_up = match platform {
        Some(p) => store.resolve_for(reference, p),
        None => store.resolve(reference),
    };
    let img = match looked_up {
        Ok(img) => img,
        Err(e @ skiff_store::Error::ImageNotFound(_)) => return Ok(Err(e.to_string())),
        Err(e @ skiff_store::Error::NoMatchingPlatform { .. }) => {
            return Ok(Err(match single_platform(store, reference) {
                // docker's words for a single-platform image of another arch.
                Some(have) => mismatch(reference, platform, Some(&have)),
                // An index: the store's error names the platforms it has.
                None => e.to_string(),
            }));
        }
        Err(e) => return Err(store_err(e)),
    };
    let config = store.image_config(&img).map_err(store_err)?;
    let have = Platform::new(
        &config.os().to_string(),
        &config.architecture().to_string(),
        config.variant().as_deref(),
    );
    if let Some(want) = platform {
        if !want.matches(&have) {
            return Ok(Err(mismatch(reference, platform, Some(&have))));
        }
    }
    Ok(Ok((img, config, have)))
}

/// The platform of `reference` when it is a single-platform image.
fn single_platform(store: &skiff_store::Store, reference: &str) -> Option<Platform> {
    let top = store.lookup(reference).ok()?;
    match store.image_platforms(&top).ok()?.as_slice() {
        [one] if one.digest == top => one.platform.clone(),
        _ => None,
    }
}

/// docker's warning for an image of another platform run without
/// `--platform` (it runs anyway: binfmt may handle it, or the config's
/// platform may simply be wrong).
pub(super) fn foreign_platform_warning(have: &Platform) -> Option<String> {
    let host = Platform::host();
    (!host.matches(have)).then(|| {
        format!(
            "The requested image's platform ({have}) does not match the detected host platform ({host}) and no specific platform was requested"
        )
    })
}

/// docker's message for an image there only for another platform.
fn mismatch(reference: &str, want: Option<&Platform>, have: Option<&Platform>) -> String {
    let want = want.map(ToString::to_string).unwrap_or_default();
    let have = have
        .map(ToString::to_string)
        .unwrap_or_else(|| "none".into());
    format!(
        "image with reference {reference} was found but does not match the specified platform: wanted {want}, actual: {have}"
    )
}

pub(crate) fn store_err(e: skiff_store::Error) -> Error {
    Error::Store(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_mismatch_names_both_platforms() {
        let want = Platform::parse("linux/s390x").unwrap();
        let have = Platform::parse("linux/amd64").unwrap();
        assert_eq!(
            mismatch("busybox", Some(&want), Some(&have)),
            "image with reference busybox was found but does not match the specified platform: wanted linux/s390x, actual: linux/amd64"
        );
        assert!(mismatch("busybox", Some(&want), None).ends_with("actual: none"));
    }

    #[test]
    fn only_a_foreign_platform_is_warned_about() {
        assert_eq!(foreign_platform_warning(&Platform::host()), None);
        let s390x = Platform::parse("linux/s390x").unwrap();
        let w = foreign_platform_warning(&s390x).unwrap();
        assert!(
            w.starts_with("The requested image's platform (linux/s390x) does not match the detected host platform (linux/"),
            "{w}"
        );
    }

    #[test]
    fn a_missing_image_is_pulled_once_then_found_or_refused() {
        // An empty store: `missing` asks the fetcher once (and fails as it
        // did: nothing was stored); `never` does not ask.
        let dir = tempfile::tempdir().unwrap();
        let store = skiff_store::Store::open(dir.path()).unwrap();
        for (pull, asked) in [(Pull::Missing, 1), (Pull::Never, 0), (Pull::Always, 1)] {
            let mut calls = Vec::new();
            let source = ImageSource::Store {
                reference: "busybox".into(),
                pull,
                platform: None,
            };
            let err = RunImage::resolve(&store, &source, &mut |r: PullRequest<'_>| {
                calls.push((r.reference.to_string(), r.missing));
                Ok(())
            })
            .unwrap_err();
            assert!(err.to_string().contains("No such image: busybox"), "{err}");
            assert_eq!(calls.len(), asked, "{pull:?}");
            if pull == Pull::Missing {
                assert_eq!(calls, [("busybox".to_string(), true)]);
            }
            if pull == Pull::Always {
                assert_eq!(calls, [("busybox".to_string(), false)]);
            }
        }
    }
}
