//! `skiff inspect`: containers in docker's JSON shape, falling back to
//! images.

use clap::Args as ClapArgs;
use serde_json::Value;
use skiff_runtime::state;

use crate::exit::Batch;
use crate::format::{emit, render_inspect};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Format output using a Go template ({{.State.ExitCode}}, {{json .Config}})
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Return JSON for specified type (container, image)
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// Display total file sizes (containers: SizeRw and SizeRootFs)
    #[arg(short = 's', long)]
    pub size: bool,
    /// Names or IDs of containers or images
    #[arg(required = true, value_name = "NAME|ID")]
    pub names: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if let Some(k) = a
        .kind
        .as_deref()
        .filter(|k| !["container", "image"].contains(k))
    {
        anyhow::bail!("{k:?} is not a valid value for --type (container, image)");
    }
    let layout = g.layout()?;
    let store = a
        .size
        .then(|| skiff_store::Store::open(&g.root).ok())
        .flatten();
    let mut out: Vec<Value> = Vec::new();
    let mut batch = Batch::default();
    for name in &a.names {
        if a.kind.as_deref() != Some("image") {
            if let Ok(id) = state::resolve(&layout, name) {
                if let Ok(rec) = state::load(&layout, &id) {
                    let mut v = skiff_runtime::inspect::to_docker(&layout, &rec);
                    if a.size {
                        let (rw, rootfs) =
                            skiff_runtime::usage::container_size(&layout, store.as_ref(), &rec);
                        v["SizeRw"] = rw.into();
                        v["SizeRootFs"] = rootfs.into();
                    }
                    out.push(v);
                    continue;
                }
            }
        }
        if a.kind.as_deref() != Some("container") {
            if let Some(v) = image_json(g, name) {
                out.push(v);
                continue;
            }
        }
        batch.failed(format!("No such object: {name}"));
    }
    print_values(&out, a.format.as_deref())?;
    Ok(batch.code())
}

/// An image's inspect JSON, from the image commands' own inspect.
fn image_json(g: &Globals, name: &str) -> Option<Value> {
    let store = skiff_store::Store::open(&g.root).ok()?;
    let img = store.resolve(name).ok()?;
    super::image_inspect::inspect_image(&store, &img).ok()
}

pub fn print_values(values: &[Value], format: Option<&str>) -> anyhow::Result<()> {
    emit(&render_inspect(values, format)?);
    Ok(())
}
