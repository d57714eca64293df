//! Reading and cleaning the container's cgroup (`/skiff/<id>`) on cgroup
//! v1, v2 and the hybrid layout (v1 controllers plus an empty v2 tree at
//! /sys/fs/cgroup/unified). libcontainer creates, configures and deletes
//! it; this module reads what docker reports (OOM kills, stats, pids) and
//! sweeps directories a crashed runtime process may have left.

use std::path::{Path, PathBuf};

const ROOT: &str = "/sys/fs/cgroup";

pub(crate) fn unified() -> bool {
    Path::new(ROOT).join("cgroup.controllers").exists()
}

fn rel(id: &str) -> String {
    crate::spec::cgroups_path(id)
        .trim_start_matches('/')
        .to_string()
}

/// The directory holding `controller`'s files for the container (v1), or
/// the unified directory (v2).
pub(crate) fn dir(id: &str, controller: &str) -> PathBuf {
    if unified() {
        Path::new(ROOT).join(rel(id))
    } else {
        Path::new(ROOT).join(controller).join(rel(id))
    }
}

fn read(p: PathBuf) -> Option<String> {
    std::fs::read_to_string(p).ok()
}

fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        (it.next() == Some(key)).then(|| it.next()?.parse().ok())?
    })
}

/// Whether the kernel's OOM killer killed a process of the container.
/// Must be read before the cgroup is deleted.
pub fn oom_killed(id: &str) -> bool {
    if unified() {
        return read(dir(id, "").join("memory.events"))
            .and_then(|t| keyed(&t, "oom_kill"))
            .unwrap_or(0)
            > 0;
    }
    let d = dir(id, "memory");
    if let Some(t) = read(d.join("memory.oom_control")) {
        if let Some(n) = keyed(&t, "oom_kill") {
            return n > 0;
        }
    }
    // Old kernels lack oom_kill: a hit on the limit is the best hint.
    read(d.join("memory.failcnt"))
        .and_then(|t| t.trim().parse::<u64>().ok())
        .unwrap_or(0)
        > 0
        && read(d.join("memory.oom_control"))
            .map(|t| t.contains("under_oom 1"))
            .unwrap_or(false)
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub memory_usage: u64,
    pub memory_limit: u64,
    pub cpu_usage_ns: u64,
    pub pids: u64,
}

pub fn stats(id: &str) -> Stats {
    let mut s = Stats::default();
    let num = |p: PathBuf| read(p).and_then(|t| t.trim().parse::<u64>().ok());
    if unified() {
        let d = dir(id, "");
        s.memory_usage = num(d.join("memory.current")).unwrap_or(0);
        s.memory_limit = num(d.join("memory.max")).unwrap_or(u64::MAX);
        s.cpu_usage_ns = read(d.join("cpu.stat"))
            .and_then(|t| keyed(&t, "usage_usec"))
            .unwrap_or(0)
            * 1000;
        s.pids = num(d.join("pids.current")).unwrap_or(0);
    } else {
        let m = dir(id, "memory");
        let usage = num(m.join("memory.usage_in_bytes")).unwrap_or(0);
        // docker subtracts the page cache (total_inactive_file) from usage.
        let inactive = read(m.join("memory.stat"))
            .and_then(|t| keyed(&t, "total_inactive_file"))
            .unwrap_or(0);
        s.memory_usage = usage.saturating_sub(inactive);
        s.memory_limit = num(m.join("memory.limit_in_bytes")).unwrap_or(u64::MAX);
        s.cpu_usage_ns = num(dir(id, "cpuacct").join("cpuacct.usage")).unwrap_or(0);
        s.pids = num(dir(id, "pids").join("pids.current")).unwrap_or(0);
    }
    s
}

/// Host pids of every process in the container.
pub fn pids(id: &str) -> Vec<i32> {
    let d = if unified() {
        dir(id, "")
    } else {
        dir(id, "pids")
    };
    let mut out: Vec<i32> = read(d.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    if out.is_empty() && !unified() {
        out = read(dir(id, "memory").join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
    }
    out
}

/// Remove any `/skiff/<id>` directory left in any hierarchy (empty cgroups
/// can be rmdir'ed; one with live processes stays and is reported).
pub fn sweep(id: &str) -> bool {
    let mut clean = true;
    let r = rel(id);
    let mut candidates = vec![Path::new(ROOT).join(&r)];
    if let Ok(entries) = std::fs::read_dir(ROOT) {
        for e in entries.flatten() {
            candidates.push(e.path().join(&r));
        }
    }
    for c in candidates {
        if c.is_dir() && std::fs::remove_dir(&c).is_err() && c.is_dir() {
            clean = false;
        }
    }
    clean
}

/// [`sweep`] until every directory is gone (processes of a dead PID
/// namespace take a moment to exit) or `limit` passes.
pub fn sweep_until_empty(id: &str, limit: std::time::Duration) -> bool {
    let start = std::time::Instant::now();
    let mut pause = std::time::Duration::from_micros(200);
    loop {
        if sweep(id) {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(20));
    }
}

/// Whether any hierarchy still has a directory for the container.
pub fn exists(id: &str) -> bool {
    let r = rel(id);
    if Path::new(ROOT).join(&r).is_dir() {
        return true;
    }
    std::fs::read_dir(ROOT)
        .map(|es| es.flatten().any(|e| e.path().join(&r).is_dir()))
        .unwrap_or(false)
}
