//! `skiff top`: the container's processes, read from /proc for the pids in
//! its cgroup (docker runs `ps` on the host for the same list).

use clap::Args as ClapArgs;
use skiff_runtime::{cgroups, state};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Container name or ID
    pub container: String,
    /// ps options (not supported: skiff reads /proc itself, the columns are fixed)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub ps_options: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if !a.ps_options.is_empty() {
        return Err(crate::exit::unsupported(
            &format!("ps options ({})", a.ps_options.join(" ")),
            "skiff reads /proc itself and shows fixed columns",
        ));
    }
    let layout = g.layout()?;
    let id = state::resolve(&layout, &a.container)?;
    let rec = state::load(&layout, &id)?;
    if !rec.is_running() {
        return Err(anyhow::anyhow!("container {id} is not running"));
    }
    let mut pids = cgroups::pids(&id);
    pids.sort();
    let ticks = 100u64; // USER_HZ on every Linux ABI skiff targets
    say!(
        "{:<10}{:<10}{:<10}{:<6}{:<10}CMD",
        "UID",
        "PID",
        "PPID",
        "C",
        "TIME"
    );
    for pid in pids {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the parenthesised command name.
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let ppid = f.get(1).copied().unwrap_or("0");
        let cpu: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
            + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        let secs = cpu / ticks;
        let uid = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Uid:"))
                    .and_then(|v| v.split_whitespace().next().map(str::to_string))
            })
            .unwrap_or_default();
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .split('\0')
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        say!(
            "{:<10}{:<10}{:<10}{:<6}{:<10}{}",
            uid,
            pid,
            ppid,
            0,
            format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60),
            cmd
        );
    }
    Ok(0)
}
