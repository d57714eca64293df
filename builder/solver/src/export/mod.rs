//! Where a build's result goes (`-o`/`--output`, `--push`), one exporter a
//! file: `image` (the store and its tags, always written), `local` (the
//! rootfs into a directory), `tar` (the rootfs as a tar), `oci` and `docker`
//! (image archives), `registry` (push every tag); `platforms` does the
//! same for a multi-platform build, and `outputs` runs the ones asked for.

mod docker;
pub(crate) mod image;
mod local;
mod oci;
mod outputs;
mod platforms;
pub(crate) mod registry;
mod tar;

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use skiff_store::Store;

use crate::error::{io_at, BuildError, Result};
use crate::solve::BuildResult;

pub use docker::export_docker;
pub use local::export_rootfs;
pub use oci::export_oci;
pub use outputs::{export_all, full_tag, Built};
pub use platforms::{
    export_oci_platforms, export_rootfs_platforms, export_tar_platforms, platform_dir,
    refuse_docker_platforms,
};
pub use registry::push;
pub use tar::export_tar;

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

/// Where an exporter writes: a file, or stdout for "-".
fn writer(dest: &str) -> Result<Box<dyn Write>> {
    if dest == "-" {
        return Ok(Box::new(std::io::stdout().lock()));
    }
    let f = fs::File::create(dest).map_err(io_at(dest))?;
    Ok(Box::new(std::io::BufWriter::new(f)))
}

/// An archive of the image (OCI layout when `oci`, else docker save
/// format), named by the tags when there are some.
pub fn export_archive(
    store: &Store,
    result: &BuildResult,
    tags: &[String],
    dest: &str,
    oci: bool,
) -> Result<()> {
    if oci {
        export_oci(store, result, tags, dest)
    } else {
        export_docker(store, result, tags, dest)
    }
}

/// The names an image archive holds: the tags, else the image ID.
fn archive_names(result: &BuildResult, tags: &[String]) -> Vec<String> {
    if tags.is_empty() {
        vec![result.image_id.clone()]
    } else {
        tags.to_vec()
    }
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
