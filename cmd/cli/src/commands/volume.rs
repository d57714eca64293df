//! `skiff volume create|ls|inspect|rm|prune`.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::json;
use skiff_runtime::{usage, volumes};

use super::each::each_named;
use super::object_args::{InspectArgs, ListArgs};
use super::prune_shared::{go_ahead, print_pruned};
use crate::exit::Batch;
use crate::format::{print_list, Columns};
use crate::globals::Globals;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a volume
    Create(CreateArgs),
    /// List volumes
    #[command(visible_alias = "list")]
    Ls(ListArgs),
    /// Display detailed information on one or more volumes
    Inspect(InspectArgs),
    /// Remove one or more volumes
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Remove unused volumes
    Prune(PruneArgs),
}

#[derive(Debug, ClapArgs)]
pub struct CreateArgs {
    /// Set metadata for a volume
    #[arg(long)]
    pub label: Vec<String>,
    /// Volume driver name (only "local")
    #[arg(short = 'd', long, default_value = "local")]
    pub driver: String,
    /// Volume name (generated when omitted)
    pub name: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub struct RmArgs {
    /// Force the removal of one or more volumes
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Remove all unused volumes, not just anonymous ones
    #[arg(short = 'a', long)]
    pub all: bool,
}

pub fn run(g: &Globals, c: Command) -> anyhow::Result<i32> {
    run_args(g, c).map_err(crate::exit::exits_one)
}

fn run_args(g: &Globals, c: Command) -> anyhow::Result<i32> {
    let layout = g.layout()?;
    match c {
        Command::Create(a) => {
            if a.driver != "local" {
                return Err(anyhow::anyhow!(
                    "volume driver {} is not supported (only \"local\")",
                    a.driver
                ));
            }
            let name = a.name.unwrap_or_else(skiff_runtime::ids::new_id);
            let labels: Vec<_> = a
                .label
                .iter()
                .map(|l| skiff_runtime::flags::parse_label(l))
                .collect();
            volumes::ensure(&layout, &name, &labels, false)?;
            say!("{name}");
            Ok(0)
        }
        Command::Ls(a) => {
            let vols = volumes::list(&layout)?;
            if a.quiet {
                for v in &vols {
                    say!("{}", v.name);
                }
                return Ok(0);
            }
            let rows: Vec<_> = vols
                .iter()
                .map(|v| json!({"Name": v.name, "Driver": "local", "Scope": "local"}))
                .collect();
            let columns = Columns {
                default: "{{.Driver}}\t{{.Name}}",
                titles: &[("Name", "VOLUME NAME")],
            };
            print_list(a.format.as_deref(), &columns, &rows)?;
            Ok(0)
        }
        Command::Inspect(a) => {
            let mut out = Vec::new();
            let mut batch = Batch::default();
            for n in &a.names {
                match volumes::load(&layout, n) {
                    Ok(v) => out.push(json!({
                        "CreatedAt": v.created,
                        "Driver": "local",
                        "Labels": v.labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
                        "Mountpoint": volumes::data_dir(&layout, &v.name),
                        "Name": v.name,
                        "Options": null,
                        "Scope": "local",
                    })),
                    Err(e) => batch.failed(e),
                }
            }
            super::inspect::print_values(&out, a.format.as_deref())?;
            Ok(batch.code())
        }
        Command::Rm(a) => Ok(each_named(&a.names, |n| {
            volumes::remove(&layout, n, a.force)
        })),
        Command::Prune(a) => {
            let warning = if a.all {
                "WARNING! This will remove all local volumes not used by at least one container."
            } else {
                "WARNING! This will remove anonymous local volumes not used by at least one container."
            };
            if !go_ahead(a.force, warning)? {
                return Ok(0);
            }
            let pruned = usage::prune_volumes(&layout, a.all)?;
            print_pruned("Deleted Volumes:", &pruned);
            Ok(0)
        }
    }
}
