//! `stats`: containers' resource usage as docker reports it: CPU % over a
//! short window between two cgroup reads, memory against the limit (or the
//! host's memory when there is none), pids.

use std::time::{Duration, Instant};

use crate::cgroups;
use crate::error::Result;
use crate::state::{self, Record};
use crate::Layout;

/// One container's usage over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub cpu_percent: f64,
    pub memory_usage: u64,
    /// The cgroup limit, or the host's memory when unlimited.
    pub memory_limit: u64,
    pub memory_percent: f64,
    pub pids: u64,
    /// Bytes received and sent over the network (NET I/O).
    pub net: (u64, u64),
    /// Bytes read from and written to block devices (BLOCK I/O).
    pub block: (u64, u64),
}

/// The containers `stats` reports on, as docker picks them: those named
/// (stopped ones too), else every running one, or every one with `all`.
pub fn targets(layout: &Layout, all: bool, names: &[String]) -> Result<Vec<Record>> {
    if names.is_empty() {
        return Ok(state::list(layout)?
            .into_iter()
            .filter(|r| all || r.is_running())
            .collect());
    }
    names
        .iter()
        .map(|n| state::load(layout, &state::resolve(layout, n)?))
        .collect()
}

/// Sample `records` over `window` (stopped containers show 0 % CPU).
pub fn sample(records: &[Record], window: Duration) -> Vec<Usage> {
    let before: Vec<_> = records
        .iter()
        .map(|r| cgroups::stats(&r.config.id))
        .collect();
    let t0 = Instant::now();
    std::thread::sleep(window);
    let wall = t0.elapsed().as_nanos() as f64;
    let host_mem = host_memory();
    records
        .iter()
        .zip(before)
        .map(|(r, b)| {
            let s = cgroups::stats(&r.config.id);
            let cpu_percent = if r.is_running() && wall > 0.0 {
                s.cpu_usage_ns.saturating_sub(b.cpu_usage_ns) as f64 / wall * 100.0
            } else {
                0.0
            };
            let memory_limit = if s.memory_limit == 0 || s.memory_limit > host_mem {
                host_mem
            } else {
                s.memory_limit
            };
            let memory_percent = if memory_limit > 0 {
                s.memory_usage as f64 / memory_limit as f64 * 100.0
            } else {
                0.0
            };
            Usage {
                cpu_percent,
                memory_usage: s.memory_usage,
                memory_limit,
                memory_percent,
                pids: s.pids,
                net: if r.is_running() {
                    crate::io_stats::net_io(r.state.pid)
                } else {
                    (0, 0)
                },
                block: crate::io_stats::block_io(&r.config.id),
            }
        })
        .collect()
}

/// MemTotal of /proc/meminfo, in bytes (0 when unreadable).
pub fn host_memory() -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_memory_is_read() {
        assert!(host_memory() > 0);
        assert!(sample(&[], Duration::ZERO).is_empty());
    }
}
