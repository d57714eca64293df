//! `skiff ps`: docker's container listing, from the state files.

use clap::Args as ClapArgs;
use serde_json::{json, Value};
use skiff_runtime::state::{self, Record};
use skiff_runtime::Layout;

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
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Filter output based on conditions provided (status=, name=, label=, id=)
    #[arg(short = 'f', long)]
    pub filter: Vec<String>,
    /// Format output using a Go template, "table ..." or "json"
    #[arg(long)]
    pub format: Option<String>,
    /// Show n last created containers (includes all states)
    #[arg(short = 'n', long = "last", default_value_t = -1, allow_hyphen_values = true)]
    pub last: i64,
    /// Show the latest created container (includes all states)
    #[arg(long = "latest")]
    pub latest: bool,
    /// Display total file sizes (accepted for compatibility)
    #[arg(short = 's', long)]
    pub size: bool,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = Layout::new(super::run::absolute_root(&g.root)?);
    let mut recs = state::list(&layout)?;
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
            println!(
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
    let rows: Vec<Value> = recs.iter().map(|r| row(r, a.no_trunc)).collect();
    match a.format.as_deref() {
        Some("json") | Some("{{json .}}") => {
            for r in &rows {
                println!("{}", serde_json::to_string(r)?);
            }
        }
        Some(f) if !f.starts_with("table") => {
            for r in &rows {
                println!("{}", super::inspect::render_template(f, r)?);
            }
        }
        Some(f) => {
            let tmpl = f.trim_start_matches("table").trim();
            print_table(&rows, tmpl)?;
        }
        None => print_table(
            &rows,
            "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
        )?,
    }
    Ok(0)
}

fn print_table(rows: &[Value], tmpl: &str) -> anyhow::Result<()> {
    let header_row = json!({
        "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "RunningFor": "CREATED",
        "CreatedAt": "CREATED AT", "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES",
        "State": "STATE", "Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS", "Size": "SIZE",
    });
    let mut lines: Vec<Vec<String>> = Vec::new();
    lines.push(split_cols(&super::inspect::render_template(
        tmpl,
        &header_row,
    )?));
    for r in rows {
        lines.push(split_cols(&super::inspect::render_template(tmpl, r)?));
    }
    let cols = lines.iter().map(|l| l.len()).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for l in &lines {
        for (i, c) in l.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    for l in &lines {
        let mut s = String::new();
        for (i, c) in l.iter().enumerate() {
            if i + 1 == l.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 3));
            }
        }
        println!("{}", s.trim_end());
    }
    Ok(())
}

fn split_cols(s: &str) -> Vec<String> {
    s.split('\t').map(str::to_string).collect()
}

fn matches_filter(r: &Record, k: &str, v: &str) -> bool {
    match k {
        "status" => r.status_word() == v,
        "name" => r.config.name.contains(v.trim_start_matches('/')),
        "id" => r.config.id.starts_with(v),
        "label" => match v.split_once('=') {
            Some((lk, lv)) => r.config.labels.iter().any(|(k, v)| k == lk && v == lv),
            None => r.config.labels.iter().any(|(k, _)| k == v),
        },
        "ancestor" => r.config.image == v || r.config.image_id.contains(v),
        "exited" => r.status_word() == "exited" && r.state.exit_code.to_string() == v,
        _ => false,
    }
}

fn row(r: &Record, no_trunc: bool) -> Value {
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
    let running_for = created
        .map(|t| {
            format!(
                "{} ago",
                human_duration(skiff_runtime::chrono::Utc::now().signed_duration_since(t))
            )
        })
        .unwrap_or_default();
    let status = match r.status_word() {
        "running" => {
            let since =
                skiff_runtime::chrono::DateTime::parse_from_rfc3339(&r.state.started_at).ok();
            format!(
                "Up {}",
                since
                    .map(|t| human_duration(
                        skiff_runtime::chrono::Utc::now().signed_duration_since(t)
                    ))
                    .unwrap_or_else(|| "Less than a second".into())
            )
        }
        "created" => "Created".to_string(),
        "exited" => {
            let since =
                skiff_runtime::chrono::DateTime::parse_from_rfc3339(&r.state.finished_at).ok();
            format!(
                "Exited ({}) {} ago",
                r.state.exit_code,
                since
                    .map(|t| human_duration(
                        skiff_runtime::chrono::Utc::now().signed_duration_since(t)
                    ))
                    .unwrap_or_else(|| "Less than a second".into())
            )
        }
        other => other.to_string(),
    };
    json!({
        "ID": if no_trunc { c.id.clone() } else { c.id[..12].to_string() },
        "Image": c.image,
        "Command": format!("\"{command}\""),
        "CreatedAt": created.map(|t| t.format("%Y-%m-%d %H:%M:%S %z UTC").to_string()).unwrap_or_default(),
        "RunningFor": running_for,
        "Status": status,
        "State": r.status_word(),
        "Ports": "",
        "Names": c.name,
        "Labels": c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
        "Mounts": c.mounts.iter().map(|m| m.source.clone()).collect::<Vec<_>>().join(","),
        "Networks": c.network.docker_name(),
        "Size": "",
    })
}

/// docker's HumanDuration ("5 seconds", "About a minute", "2 hours").
pub fn human_duration(d: skiff_runtime::chrono::TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    if s < 1 {
        "Less than a second".into()
    } else if s == 1 {
        "1 second".into()
    } else if s < 60 {
        format!("{s} seconds")
    } else if s / 60 == 1 {
        "About a minute".into()
    } else if s < 3600 {
        format!("{} minutes", s / 60)
    } else if s / 3600 == 1 {
        "About an hour".into()
    } else if s < 48 * 3600 {
        format!("{} hours", s / 3600)
    } else {
        format!("{} days", s / 86400)
    }
}
