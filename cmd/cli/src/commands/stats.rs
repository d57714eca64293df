//! `skiff stats`: containers' resource usage (skiff-runtime's `stats`
//! samples it), docker's columns.

use clap::Args as ClapArgs;
use skiff_runtime::stats;

use crate::format::{bytes_size, emit, human_size_prec, render_list, Columns};
use crate::globals::Globals;

const COLUMNS: Columns = Columns {
    default: "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
    titles: &[
        ("ID", "CONTAINER ID"),
        ("Container", "CONTAINER"),
        ("CPUPerc", "CPU %"),
        ("MemUsage", "MEM USAGE / LIMIT"),
        ("MemPerc", "MEM %"),
        ("NetIO", "NET I/O"),
        ("BlockIO", "BLOCK I/O"),
        ("PIDs", "PIDS"),
    ],
};

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Show all containers (default shows just running)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Disable streaming stats and only pull the first result
    #[arg(long)]
    pub no_stream: bool,
    /// Do not truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Format output using a Go template
    #[arg(long)]
    pub format: Option<String>,
    /// Containers (default: all running)
    pub containers: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = g.layout()?;
    let recs = stats::targets(&layout, a.all, &a.containers)?;
    loop {
        let usage = stats::sample(&recs, std::time::Duration::from_millis(500));
        let rows: Vec<_> = recs
            .iter()
            .zip(usage)
            .map(|(r, u)| {
                let id = if a.no_trunc {
                    r.config.id.clone()
                } else {
                    r.config.id[..12].to_string()
                };
                serde_json::json!({
                    "ID": id, "Container": id, "Name": r.config.name,
                    "CPUPerc": format!("{:.2}%", u.cpu_percent),
                    "MemUsage": format!("{} / {}", bytes_size(u.memory_usage), bytes_size(u.memory_limit)),
                    "MemPerc": format!("{:.2}%", u.memory_percent),
                    "PIDs": u.pids.to_string(),
                    "NetIO": pair(u.net), "BlockIO": pair(u.block),
                })
            })
            .collect();
        emit(&render_list(a.format.as_deref(), &COLUMNS, &rows)?);
        if a.no_stream {
            return Ok(0);
        }
    }
}

/// docker's `1.2kB / 648B` for NET I/O and BLOCK I/O.
fn pair((a, b): (u64, u64)) -> String {
    format!(
        "{} / {}",
        human_size_prec(a as f64, 3),
        human_size_prec(b as f64, 3)
    )
}
