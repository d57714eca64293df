//! `skiff save [-o FILE] [--format docker|oci] IMAGE...`.

use std::fs::{self, File};
use std::io::{BufWriter, IsTerminal, Write};

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use skiff_store::{ArchiveFormat, Store};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<String>,
    /// Archive format: docker (docker-archive, default) or oci (OCI layout)
    #[arg(long, default_value = "docker", value_name = "FORMAT")]
    pub format: String,
    /// Save only the given platform's variant (os/arch[/variant])
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,
    /// Images to save (name, ID or name@digest)
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    run_args(g, a).map_err(crate::exit::exits_one)
}

fn run_args(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let format = match a.format.as_str() {
        "docker" | "docker-archive" => ArchiveFormat::Docker,
        "oci" | "oci-archive" => ArchiveFormat::Oci,
        other => bail!("--format {other:?}: expected docker or oci"),
    };
    let platform = super::transfer::platform_flag(a.platform.as_deref())?;
    let platform = platform.as_ref();
    let store = Store::open(&g.root)?;
    // Resolve first so a typo (or a platform the image lacks) fails before
    // any file is created.
    for i in &a.images {
        match platform {
            Some(p) => store.resolve_for(i, p)?,
            None => store.resolve(i)?,
        };
    }
    match &a.output {
        Some(path) if path != "-" => {
            // Write beside the destination and rename, so a failed save
            // never leaves a truncated archive under the wanted name.
            let tmp = format!("{path}.skiff-tmp-{}", std::process::id());
            let result = (|| -> anyhow::Result<()> {
                let f = File::create(&tmp).with_context(|| format!("create {tmp}"))?;
                let mut w = BufWriter::with_capacity(1 << 20, f);
                store.save_platform(&a.images, format, platform, &mut w)?;
                let f = w.into_inner().map_err(|e| e.into_error())?;
                f.sync_all()?;
                fs::rename(&tmp, path).with_context(|| format!("rename {tmp} to {path}"))?;
                Ok(())
            })();
            if result.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            result?;
        }
        _ => {
            let stdout = std::io::stdout();
            if stdout.is_terminal() {
                bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            }
            let mut w = BufWriter::with_capacity(1 << 20, stdout.lock());
            store.save_platform(&a.images, format, platform, &mut w)?;
            w.flush()?;
        }
    }
    Ok(0)
}
