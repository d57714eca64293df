//! `skiff image inspect`: docker's JSON shape for images. `inspect_images`
//! is reused by the generic `skiff inspect`.

use clap::Args as ClapArgs;
use serde_json::{json, Map, Value};
use skiff_store::{familiar_name, Image, Platform, Store};

use crate::exit::Batch;
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Format output using a custom template ('json' or a Go-style template such as '{{.Id}}')
    #[arg(short = 'f', long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Inspect this platform's variant of a multi-platform image (os/arch[/variant])
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,
    /// Images to inspect (name, ID or name@digest)
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let platform = super::transfer::platform_flag(a.platform.as_deref())?;
    let store = Store::open(&g.root)?;
    let (found, errors) = inspect_images_for(&store, &a.images, platform.as_ref());
    super::inspect::print_values(&found, a.format.as_deref())?;
    let mut batch = Batch::default();
    for e in &errors {
        batch.failed(format!("{e:#}"));
    }
    Ok(batch.code())
}

/// Inspect each name; results in order for those found, plus one error per
/// name that is not an image (docker prints both and exits 1).
/// With `platform`, that platform of each image (strict: an image without
/// it is an error); otherwise the host's, or what is present.
pub fn inspect_images_for(
    store: &Store,
    names: &[String],
    platform: Option<&Platform>,
) -> (Vec<Value>, Vec<anyhow::Error>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for n in names {
        let resolved = match platform {
            Some(p) => store.resolve_for(n, p),
            None => store.resolve(n),
        };
        match resolved
            .map_err(anyhow::Error::from)
            .and_then(|img| inspect_image(store, &img))
        {
            Ok(v) => found.push(v),
            Err(e) => errors.push(e),
        }
    }
    (found, errors)
}

/// docker's `image inspect` object for one image.
pub fn inspect_image(store: &Store, img: &Image) -> anyhow::Result<Value> {
    let raw: Value = serde_json::from_slice(&store.image_config_raw(img)?)?;
    let str_of = |k: &str| raw.get(k).and_then(Value::as_str).unwrap_or("").to_string();

    // docker always prints these Config keys; keep anything else the image has.
    let mut config: Map<String, Value> = raw
        .get("config")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, d) in [
        ("Hostname", json!("")),
        ("Domainname", json!("")),
        ("User", json!("")),
        ("AttachStdin", json!(false)),
        ("AttachStdout", json!(false)),
        ("AttachStderr", json!(false)),
        ("Tty", json!(false)),
        ("OpenStdin", json!(false)),
        ("StdinOnce", json!(false)),
        ("Env", Value::Null),
        ("Cmd", Value::Null),
        ("Image", json!("")),
        ("Volumes", Value::Null),
        ("WorkingDir", json!("")),
        ("Entrypoint", Value::Null),
        ("OnBuild", Value::Null),
        ("Labels", Value::Null),
    ] {
        config.entry(k.to_string()).or_insert(d);
    }

    let repo_tags: Vec<String> = img.references.iter().map(|r| r.familiar()).collect();
    let repo_digests: Vec<String> = img
        .repo_digests
        .iter()
        .map(|rd| match rd.split_once('@') {
            Some((n, d)) => format!("{}@{d}", familiar_name(n)),
            None => rd.clone(),
        })
        .collect();
    let layers = raw
        .pointer("/rootfs/diff_ids")
        .cloned()
        .unwrap_or_else(|| json!([]));
    let size = store.image_size(img)?;

    // Snapshots that exist, top first as overlayfs `lowerdir=` wants them.
    let mut graph = Map::new();
    if let Ok(chains) = store.image_chain_ids(img) {
        if !chains.is_empty() && chains.iter().all(|c| store.has_snapshot(c)) {
            let dirs: Vec<String> = chains
                .iter()
                .rev()
                .map(|c| store.snapshot_path(c).display().to_string())
                .collect();
            graph.insert("LowerDir".into(), json!(dirs.join(":")));
        }
    }

    let mut out = json!({
        "Id": img.id().to_string(),
        "RepoTags": repo_tags,
        "RepoDigests": repo_digests,
        "Parent": "",
        "Comment": str_of("comment"),
        "Created": str_of("created"),
        "DockerVersion": str_of("docker_version"),
        "Author": str_of("author"),
        "Config": Value::Object(config),
        "Architecture": str_of("architecture"),
        "Os": str_of("os"),
        "Size": size,
        "GraphDriver": {"Data": Value::Object(graph), "Name": "overlay"},
        "RootFS": {"Type": "layers", "Layers": layers},
        "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"},
        "Descriptor": {
            "mediaType": img.media_type,
            "digest": img.digest.to_string(),
            "size": store.blob_size(&img.digest)?,
        },
    });
    if let Some(v) = raw.get("variant") {
        out["Variant"] = v.clone();
    }
    if let Some(v) = raw.get("os.version") {
        out["OsVersion"] = v.clone();
    }
    if let Some(h) = raw.get("container") {
        out["Container"] = h.clone();
    }
    Ok(out)
}
