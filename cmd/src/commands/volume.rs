//! `skiff volume create|ls|inspect|rm|prune`.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::json;
use skiff_runtime::{volumes, Layout};

use crate::globals::Globals;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a volume
    Create(CreateArgs),
    /// List volumes
    #[command(visible_alias = "list")]
    Ls(LsArgs),
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
pub struct LsArgs {
    /// Only display volume names
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Format output using a Go template
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub struct InspectArgs {
    /// Format output using a Go template
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    #[arg(required = true)]
    pub names: Vec<String>,
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
    let layout = Layout::new(super::run::absolute_root(&g.root)?);
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
            println!("{name}");
            Ok(0)
        }
        Command::Ls(a) => {
            let vols = volumes::list(&layout)?;
            if a.quiet {
                for v in &vols {
                    println!("{}", v.name);
                }
            } else if let Some(f) = a.format {
                for v in &vols {
                    println!(
                        "{}",
                        super::inspect::render_template(
                            &f,
                            &json!({"Name": v.name, "Driver": "local"})
                        )?
                    );
                }
            } else {
                println!("DRIVER    VOLUME NAME");
                for v in &vols {
                    println!("local     {}", v.name);
                }
            }
            Ok(0)
        }
        Command::Inspect(a) => {
            let mut out = Vec::new();
            let mut code = 0;
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
                    Err(e) => {
                        eprintln!("Error: {e}");
                        code = 1;
                    }
                }
            }
            super::inspect::print_values(&out, a.format.as_deref())?;
            Ok(code)
        }
        Command::Rm(a) => {
            let mut code = 0;
            for n in &a.names {
                match volumes::remove(&layout, n, a.force) {
                    Ok(()) => println!("{n}"),
                    Err(e) => {
                        eprintln!("Error response from daemon: {e}");
                        code = 1;
                    }
                }
            }
            Ok(code)
        }
        Command::Prune(a) => {
            let mut reclaimed = Vec::new();
            for v in volumes::list(&layout)? {
                if (a.all || v.anonymous)
                    && volumes::users(&layout, &v.name).is_empty()
                    && volumes::remove(&layout, &v.name, false).is_ok()
                {
                    reclaimed.push(v.name);
                }
            }
            if !reclaimed.is_empty() {
                println!("Deleted Volumes:");
                for n in &reclaimed {
                    println!("{n}");
                }
                println!();
            }
            println!("Total reclaimed space: 0B");
            Ok(0)
        }
    }
}
