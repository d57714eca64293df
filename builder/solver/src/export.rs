//! Outputs besides the image store (`-o`/`--output`, `--push`): the rootfs
//! into a directory or a tar, OCI and docker archives, a registry.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skiff_store::Store;

use crate::error::{io_at, BuildError, Result};
use crate::layer::{write_dir_tar, TarOptions};
use crate::progress::{Event, Progress};
use crate::solve::BuildResult;

/// One `--output`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// The store (and the tags). `push=true` also pushes every tag.
    Image { push: bool },
    /// The final filesystem into a directory.
    Local(PathBuf),
    /// The final filesystem as a tar; "-" is stdout.
    Tar(String),
    /// An OCI image layout archive.
    Oci(String),
    /// A `docker save` archive (what `docker load`/`podman load` read).
    Docker(String),
}

/// Parse docker's `-o` values plus `--push`/`--load`. Default: the image.
pub fn parse_outputs(specs: &[String], push: bool) -> Result<Vec<Output>> {
    let mut out = Vec::new();
    for s in specs {
        let mut kind = None;
        let mut dest = None;
        let mut push_flag = false;
        if !s.contains('=') {
            // `-o dir` is `type=local,dest=dir`; `-o -` a tar on stdout.
            out.push(if s == "-" {
                Output::Tar("-".into())
            } else {
                Output::Local(s.into())
            });
            continue;
        }
        for kv in s.split(',') {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k.trim() {
                "type" => kind = Some(v.to_string()),
                "dest" => dest = Some(v.to_string()),
                "push" => push_flag = v == "true" || v.is_empty(),
                // Accepted and ignored: names come from -t; compression is a flag.
                "name" | "compression" | "compression-level" | "force-compression"
                | "oci-mediatypes" | "registry.insecure" => {}
                other => {
                    return Err(BuildError::Invalid(format!(
                        "--output {s}: unknown attribute {other:?}"
                    )))
                }
            }
        }
        let need = |d: Option<String>, t: &str| {
            d.ok_or_else(|| BuildError::Invalid(format!("--output type={t} needs dest=<path>")))
        };
        out.push(match kind.as_deref() {
            Some("image") | Some("moby") => Output::Image { push: push_flag },
            Some("registry") => Output::Image { push: true },
            Some("local") => Output::Local(need(dest, "local")?.into()),
            Some("tar") => Output::Tar(need(dest, "tar")?),
            Some("oci") => Output::Oci(need(dest, "oci")?),
            Some("docker") => Output::Docker(dest.unwrap_or_default()),
            Some(t) => return Err(BuildError::Invalid(format!("--output: unknown type {t:?}"))),
            None => return Err(BuildError::Invalid(format!("--output {s}: missing type="))),
        });
    }
    if push {
        match out.iter_mut().find(|o| matches!(o, Output::Image { .. })) {
            Some(Output::Image { push }) => *push = true,
            _ => out.push(Output::Image { push: true }),
        }
    }
    if out.is_empty() {
        out.push(Output::Image { push: false });
    }
    Ok(out)
}

/// Merge the image's snapshots into `dest` (created if needed).
pub fn export_rootfs(result: &BuildResult, dest: &Path) -> Result<()> {
    fs::create_dir_all(dest).map_err(io_at(dest))?;
    for snap in &result.snapshots {
        crate::squash::apply_to_rootfs(snap, dest).map_err(io_at(snap))?;
    }
    Ok(())
}

fn writer(dest: &str) -> Result<Box<dyn Write>> {
    if dest == "-" {
        return Ok(Box::new(std::io::stdout().lock()));
    }
    let f = fs::File::create(dest).map_err(io_at(dest))?;
    Ok(Box::new(std::io::BufWriter::new(f)))
}

/// The final filesystem as a tar.
pub fn export_tar(store: &Store, result: &BuildResult, dest: &str) -> Result<()> {
    let tmp = store.create_temp_dir("export")?;
    let r = (|| -> Result<()> {
        export_rootfs(result, &tmp)?;
        let w = writer(dest)?;
        let (mut w, _) = write_dir_tar(&tmp, w, &TarOptions::default())?;
        w.flush().map_err(io_at(dest))
    })();
    let _ = fs::remove_dir_all(&tmp);
    r
}

/// An archive of the image (OCI layout or docker save format), named by
/// the tags when there are some.
pub fn export_archive(
    store: &Store,
    result: &BuildResult,
    tags: &[String],
    dest: &str,
    oci: bool,
) -> Result<()> {
    let names: Vec<String> = if tags.is_empty() {
        vec![result.image_id.clone()]
    } else {
        tags.to_vec()
    };
    let mut w = writer(if dest.is_empty() { "-" } else { dest })?;
    if oci {
        store.save_oci_archive(&names, &mut w)?;
    } else {
        store.save_docker_archive(&names, &mut w)?;
    }
    w.flush().map_err(io_at(dest))
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
        let r = skiff_registry::parse_reference(t).map_err(err)?;
        let opts = skiff_registry::Options::default()
            .with_settings()
            .map_err(err)?;
        let reg = skiff_registry::Registry::connect(&r, &opts).map_err(err)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs() {
        assert_eq!(
            parse_outputs(&[], false).unwrap(),
            vec![Output::Image { push: false }]
        );
        assert_eq!(
            parse_outputs(&[], true).unwrap(),
            vec![Output::Image { push: true }]
        );
        assert_eq!(
            parse_outputs(&["type=registry,push=true".into()], false).unwrap(),
            vec![Output::Image { push: true }]
        );
        assert_eq!(
            parse_outputs(&["type=local,dest=out".into()], false).unwrap(),
            vec![Output::Local("out".into())]
        );
        assert_eq!(
            parse_outputs(&["out".into()], false).unwrap(),
            vec![Output::Local("out".into())]
        );
        assert!(parse_outputs(&["type=tar".into()], false).is_err());
        assert!(parse_outputs(&["type=bogus,dest=x".into()], false).is_err());
    }
}
