//! `skiff ps`: docker's container listing, from the state files.

use clap::Args as ClapArgs;
use serde_json::{json, Value};
use skiff_runtime::state::{self, Record};
use skiff_runtime::usage;
use skiff_runtime::MountKind;

use crate::format::{human_size_prec, print_list, since_rfc3339, Columns};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Show all containers (default shows just running)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only display container IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Filter output based on conditions provided (status=, name=, label=, id=)
    #[arg(short = 'f', long)]
    pub filter: Vec<String>,
    /// Format output using a Go template, "table ..." or "json"
    #[arg(long)]
    pub format: Option<String>,
    /// Show n last created containers (includes all states)
    #[arg(short = 'n', long, default_value_t = -1, allow_hyphen_values = true)]
    pub last: i64,
    /// Show the latest created container (includes all states)
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Display total file sizes (writable layer, and with the image)
    #[arg(short = 's', long)]
    pub size: bool,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = g.layout()?;
    let mut recs = state::list(&layout)?;
    skiff_core::timing::mark("container states read");
    let all = a.all || a.last >= 0 || a.latest || a.filter.iter().any(|f| f.starts_with("status="));
    if !all {
        recs.retain(|r| r.is_running());
    }
    for f in &a.filter {
        let (k, v) = f
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("bad format of filter (expected name=value): {f}"))?;
        recs.retain(|r| matches_filter(r, k, v));
    }
    if a.latest {
        recs.truncate(1);
    } else if a.last >= 0 {
        recs.truncate(a.last as usize);
    }
    if a.quiet {
        for r in &recs {
            say!(
                "{}",
                if a.no_trunc {
                    r.config.id.clone()
                } else {
                    r.config.id[..12].to_string()
                }
            );
        }
        return Ok(0);
    }
    let store = a
        .size
        .then(|| skiff_store::Store::open(&g.root).ok())
        .flatten();
    let rows: Vec<Value> = recs
        .iter()
        .map(|r| {
            let mut v = row(&layout, r, a.no_trunc);
            if a.size {
                let (rw, rootfs) = usage::container_size(&layout, store.as_ref(), r);
                v["Size"] = format!(
                    "{} (virtual {})",
                    human_size_prec(rw as f64, 3),
                    human_size_prec(rootfs as f64, 3)
                )
                .into();
            }
            v
        })
        .collect();
    let columns = Columns {
        default: if a.size {
            "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Size}}"
        } else {
            "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
        },
        titles: &[
            ("ID", "CONTAINER ID"),
            ("RunningFor", "CREATED"),
            ("CreatedAt", "CREATED AT"),
        ],
    };
    print_list(a.format.as_deref(), &columns, &rows)?;
    Ok(0)
}

fn matches_filter(r: &Record, k: &str, v: &str) -> bool {
    match k {
        "status" => r.status_word() == v,
        "name" => r.config.name.contains(v.trim_start_matches('/')),
        "id" => r.config.id.starts_with(v),
        "label" => match v.split_once('=') {
            Some((lk, lv)) => r.config.has_label(lk, Some(lv)),
            None => r.config.has_label(v, None),
        },
        "ancestor" => r.config.image == v || r.config.image_id.contains(v),
        "exited" => r.status_word() == "exited" && r.state.exit_code.to_string() == v,
        _ => false,
    }
}

fn row(layout: &skiff_runtime::Layout, r: &Record, no_trunc: bool) -> Value {
    let c = &r.config;
    let mut command = c
        .args
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if !no_trunc && command.chars().count() > 20 {
        command = format!("{}…", command.chars().take(19).collect::<String>());
    }
    let created = skiff_runtime::chrono::DateTime::parse_from_rfc3339(&c.created).ok();
    let running_for = since_rfc3339(&c.created)
        .map(|d| format!("{d} ago"))
        .unwrap_or_default();
    let ago = |t: &str| since_rfc3339(t).unwrap_or_else(|| "Less than a second".into());
    let status = match r.status_word() {
        "running" => format!(
            "Up {}{}",
            ago(&r.state.started_at),
            match r.state.health.as_ref().map(|h| h.status.as_str()) {
                Some("starting") => " (health: starting)",
                Some("healthy") => " (healthy)",
                Some("unhealthy") => " (unhealthy)",
                _ => "",
            }
        ),
        "paused" => format!("Up {} (Paused)", ago(&r.state.started_at)),
        "created" => "Created".to_string(),
        "restarting" => format!(
            "Restarting ({}) {} ago",
            r.state.exit_code,
            ago(&r.state.finished_at)
        ),
        "exited" => format!(
            "Exited ({}) {} ago",
            r.state.exit_code,
            ago(&r.state.finished_at)
        ),
        other => other.to_string(),
    };
    json!({
        "ID": if no_trunc { c.id.clone() } else { c.id[..12].to_string() },
        "Image": c.image,
        // Go's strconv.Quote, as docker's formatter: inner quotes escaped.
        "Command": serde_json::to_string(&command).unwrap_or_default(),
        "CreatedAt": created.map(|t| t.format("%Y-%m-%d %H:%M:%S %z UTC").to_string()).unwrap_or_default(),
        "RunningFor": running_for,
        "Status": status,
        "State": r.status_word(),
        "Ports": ports(layout, r),
        "Names": c.name,
        "Labels": c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
        "Mounts": c.mounts.iter().map(|m| m.source.clone()).collect::<Vec<_>>().join(","),
        "Networks": c.network.docker_name(),
        "LocalVolumes": c.mounts.iter().filter(|m| m.kind == MountKind::Volume).count().to_string(),
        // docker's value when the sizes were not asked for.
        "Size": "0B",
    })
}

/// Published ports as docker shows them while the container runs
/// (`0.0.0.0:8080->80/tcp, ...`): the live endpoint's, as `port` and
/// `inspect` read them, since `-p 80`'s host port is only chosen when the
/// network is set up (the config keeps 0). Read only for a container that
/// publishes something, so a plain `ps` opens no more files.
fn ports(layout: &skiff_runtime::Layout, r: &Record) -> String {
    if !r.is_running() || r.config.ports.is_empty() {
        return String::new();
    }
    let live = skiff_runtime::net::endpoint(layout, &r.config.id).map(|e| e.ports);
    live.as_ref()
        .unwrap_or(&r.config.ports)
        .iter()
        .map(|p| {
            format!(
                "{}->{}/{}",
                p.host_display(),
                p.container_port,
                p.proto.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
