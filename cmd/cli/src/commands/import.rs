//! `skiff import file|- [REPOSITORY[:TAG]]`: a rootfs tar (plain, gzip or
//! zstd) becomes a one-layer image, as `docker import` does, with `--change`
//! Dockerfile instructions applied to its config.

use std::fs::File;
use std::io::Read;

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use serde_json::json;
use skiff_solver::imageconfig::ImageConfig;
use skiff_store::{media, ManifestFlavor, Platform, Store};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR, STOPSIGNAL);
    /// read by skiff-frontend's parser, applied by skiff-solver
    #[arg(short = 'c', long, value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// Set commit message for imported image
    #[arg(short = 'm', long)]
    pub message: Option<String>,
    /// Set platform of the imported image (os/arch[/variant])
    #[arg(long)]
    pub platform: Option<String>,
    /// Write an OCI manifest instead of docker's v2 schema 2
    #[arg(long)]
    pub oci: bool,
    /// Rootfs tar file, or - for stdin
    #[arg(value_name = "file|-")]
    pub file: String,
    /// Name to tag the image with
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub reference: Option<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    run_args(g, a).map_err(crate::exit::exits_one)
}

fn run_args(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if a.file.starts_with("http://") || a.file.starts_with("https://") {
        bail!(
            "import from a URL is not supported: download {} first",
            a.file
        );
    }
    // Validate everything before reading a possibly large input.
    if let Some(r) = &a.reference {
        skiff_store::normalize_reference(r)?;
    }
    let platform = match &a.platform {
        Some(p) => Platform::parse(p)?,
        None => Platform::host(),
    };
    let mut config = ImageConfig::scratch(
        &platform.os,
        &platform.architecture,
        platform.variant.as_deref(),
    );
    skiff_solver::change::apply_changes(&mut config, &a.change)?;

    let store = Store::open(&g.root)?;
    let _lease = store.lease()?;
    let mut input: Box<dyn Read> = if a.file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(File::open(&a.file).with_context(|| format!("open {}", a.file))?)
    };
    let flavor = if a.oci {
        ManifestFlavor::Oci
    } else {
        ManifestFlavor::Docker
    };
    let layer_mt = if a.oci {
        media::OCI_LAYER_GZIP
    } else {
        media::DOCKER_LAYER_GZIP
    };
    let layer = store
        .import_layer(&mut input, layer_mt)
        .with_context(|| format!("importing {}", a.file))?;

    let created = skiff_store::chrono::Utc::now()
        .to_rfc3339_opts(skiff_store::chrono::SecondsFormat::Nanos, true);
    let comment = a
        .message
        .clone()
        .unwrap_or_else(|| format!("Imported from {}", a.file));
    let mut cfg = config.0;
    cfg["created"] = json!(created);
    cfg["comment"] = json!(comment);
    cfg["history"] = json!([{"created": created, "comment": comment}]);
    cfg["rootfs"] = json!({"type": "layers", "diff_ids": [layer.diff_id.to_string()]});
    let bytes = serde_json::to_vec(&cfg)?;
    let digest = store.write_image_raw(&bytes, &[layer], flavor)?;
    if let Some(r) = &a.reference {
        store.tag(r, &digest)?;
    }
    say!("{}", skiff_store::sha256_digest(&bytes));
    Ok(0)
}
