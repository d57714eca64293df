//! `skiff commit` (docker commit): a container's changes become a new
//! image: its base image's layers plus one layer made from the container's
//! overlay upper dir by the builder's commit path (the same code that turns
//! a RUN step into a layer), its config from the container's (Cmd,
//! Entrypoint, Env, WorkingDir, User, Labels) with `-c` Dockerfile
//! instructions applied, and a history entry carrying `-m` and `--author`.

use clap::Args as ClapArgs;
use serde_json::{json, Value};
use skiff_runtime::{pause, state};
use skiff_solver::imageconfig::ImageConfig;
use skiff_solver::layer::Compression;
use skiff_solver::solve::{commit_dir, image_layer_infos};
use skiff_store::{ManifestFlavor, Store};

use super::refused::daemon;
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
#[command(mut_arg("pause", crate::pflag::default_true))]
pub struct Args {
    /// Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")
    #[arg(short = 'a', long)]
    pub author: Option<String>,
    /// Apply Dockerfile instruction to the created image
    #[arg(short = 'c', long, value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// Commit message
    #[arg(short = 'm', long)]
    pub message: Option<String>,
    /// Pause container during commit
    #[arg(short = 'p', long)]
    pub pause: bool,
    /// Container name or ID
    pub container: String,
    /// Name of the new image
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub reference: Option<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if let Some(r) = &a.reference {
        skiff_store::normalize_reference(r)?;
    }
    let layout = g.layout()?;
    let id = daemon(state::resolve(&layout, &a.container))?;
    let rec = daemon(state::load(&layout, &id))?;
    let running = rec.is_running();
    if running && !a.pause {
        return Err(crate::exit::unsupported(
            "--pause=false on a running container",
            "skiff reads the container's files while it commits them, and a running container could swap them for links out of it",
        ));
    }
    // Frozen while its upper dir is read: a consistent layer, and nothing
    // the container can change under the tar writer.
    let paused_here = running && !pause::is_paused(&id);
    if paused_here {
        daemon(pause::pause(&layout, &id))?;
    }
    let res = commit(g, &a, &layout, &rec);
    if paused_here {
        let _ = pause::unpause(&layout, &id);
    }
    say!("{}", res?);
    Ok(0)
}

/// The container's own settings, as docker's commit puts them in the image.
fn apply_container_config(config: &mut ImageConfig, c: &skiff_runtime::ContainerConfig) {
    let list = |v: &[String]| if v.is_empty() { Value::Null } else { json!(v) };
    config.set("Cmd", list(&c.cmd));
    config.set("Entrypoint", list(&c.entrypoint));
    // HOSTNAME is the runtime's, not the image's.
    let env: Vec<&String> = c
        .env
        .iter()
        .filter(|e| !e.starts_with("HOSTNAME="))
        .collect();
    config.set("Env", json!(env));
    config.set("WorkingDir", json!(c.workdir));
    config.set("User", json!(c.user));
    for (k, v) in &c.labels {
        config.insert_map("Labels", k, json!(v));
    }
}

fn commit(
    g: &Globals,
    a: &Args,
    layout: &skiff_runtime::Layout,
    rec: &state::Record,
) -> anyhow::Result<String> {
    let store = Store::open(&g.root)?;
    let _lease = store.lease()?;
    let img = daemon(store.resolve(&rec.config.image_id))?;
    let raw = store.image_config_raw(&img)?;
    let mut config =
        ImageConfig::from_bytes(&raw).map_err(|e| anyhow::anyhow!("{}: {e}", rec.config.image))?;
    let mut layers = image_layer_infos(&store, &img, &config, &rec.config.image)?;
    apply_container_config(&mut config, &rec.config);
    skiff_solver::change::apply_changes(&mut config, &a.change)?;

    let upper = layout.container(&rec.config.id).join("upper");
    let layer = if upper.is_dir() {
        commit_dir(&store, &upper, Compression::default(), None)?
    } else {
        None
    };
    let created = skiff_store::chrono::Utc::now()
        .to_rfc3339_opts(skiff_store::chrono::SecondsFormat::Nanos, true);
    let mut entry = json!({
        "created": created,
        "created_by": rec.config.args.join(" "),
    });
    if let Some(m) = a.message.as_deref().filter(|m| !m.is_empty()) {
        entry["comment"] = json!(m);
    }
    if let Some(author) = &a.author {
        entry["author"] = json!(author);
        config.0["author"] = json!(author);
    }
    match &layer {
        Some(l) => {
            config.push_diff_id(l.diff_id.as_ref());
            layers.push(l.clone());
        }
        None => entry["empty_layer"] = json!(true),
    }
    if !config.0["history"].is_array() {
        config.0["history"] = json!([]);
    }
    if let Some(h) = config.0["history"].as_array_mut() {
        h.push(entry);
    }
    config.0["created"] = json!(created);
    let bytes = config.to_bytes();
    let digest = store.write_image_raw(&bytes, &layers, ManifestFlavor::Docker)?;
    if let Some(r) = &a.reference {
        store.tag(r, &digest)?;
    }
    skiff_runtime::events::container(
        layout,
        &rec.config,
        "commit",
        &[("comment", a.message.as_deref().unwrap_or(""))],
    );
    Ok(skiff_store::sha256_digest(&bytes).to_string())
}
