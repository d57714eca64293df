//! `skiff stats --no-stream`: cgroup usage of running containers.

use clap::Args as ClapArgs;
use skiff_runtime::{cgroups, state};

use crate::format::{bytes_size, emit, render_list, Columns};
use crate::globals::Globals;

const COLUMNS: Columns = Columns {
    default: "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.PIDs}}",
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
    #[arg(long = "no-stream")]
    pub no_stream: bool,
    /// Do not truncate output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Format output using a Go template
    #[arg(long)]
    pub format: Option<String>,
    /// Containers (default: all running)
    pub containers: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = g.layout()?;
    let mut recs = Vec::new();
    if a.containers.is_empty() {
        recs = state::list(&layout)?
            .into_iter()
            .filter(|r| a.all || r.is_running())
            .collect();
    } else {
        for c in &a.containers {
            recs.push(state::load(&layout, &state::resolve(&layout, c)?)?);
        }
    }
    loop {
        // CPU % over a short window, as docker computes it between two reads.
        let before: Vec<_> = recs.iter().map(|r| cgroups::stats(&r.config.id)).collect();
        let t0 = std::time::Instant::now();
        std::thread::sleep(std::time::Duration::from_millis(500));
        let wall = t0.elapsed().as_nanos() as f64;
        let mut rows = Vec::new();
        for (r, b) in recs.iter().zip(before) {
            let s = cgroups::stats(&r.config.id);
            let running = r.is_running();
            let cpu = if running {
                s.cpu_usage_ns.saturating_sub(b.cpu_usage_ns) as f64 / wall * 100.0
            } else {
                0.0
            };
            let host_mem = host_memory();
            let limit = if s.memory_limit == 0 || s.memory_limit > host_mem {
                host_mem
            } else {
                s.memory_limit
            };
            let mem_pct = if limit > 0 {
                s.memory_usage as f64 / limit as f64 * 100.0
            } else {
                0.0
            };
            let id = if a.no_trunc {
                r.config.id.clone()
            } else {
                r.config.id[..12].to_string()
            };
            rows.push(serde_json::json!({
                "ID": id, "Container": id, "Name": r.config.name,
                "CPUPerc": format!("{cpu:.2}%"),
                "MemUsage": format!("{} / {}", bytes_size(s.memory_usage), bytes_size(limit)),
                "MemPerc": format!("{mem_pct:.2}%"),
                "PIDs": s.pids.to_string(), "NetIO": "--", "BlockIO": "--",
            }));
        }
        emit(&render_list(a.format.as_deref(), &COLUMNS, &rows)?);
        if a.no_stream {
            return Ok(0);
        }
    }
}

fn host_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}
