//! The NET I/O and BLOCK I/O columns of `stats`: bytes a container moved
//! through its network interfaces (its netns's /proc/PID/net/dev, loopback
//! left out as docker's) and read or wrote to block devices (its cgroup's
//! io.stat on v2, blkio on v1).

use crate::cgroups;

/// Received and sent bytes over the non-loopback interfaces of the netns
/// process `pid` lives in; zeros when it is gone.
pub fn net_io(pid: i32) -> (u64, u64) {
    if pid <= 0 {
        return (0, 0);
    }
    let Ok(dev) = std::fs::read_to_string(format!("/proc/{pid}/net/dev")) else {
        return (0, 0);
    };
    // Two header lines, then `  eth0: rx_bytes packets ... tx_bytes ...`.
    dev.lines()
        .skip(2)
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.trim() != "lo")
        .fold((0, 0), |(rx, tx), (_, v)| {
            let f: Vec<u64> = v
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect();
            (
                rx + f.first().copied().unwrap_or(0),
                tx + f.get(8).copied().unwrap_or(0),
            )
        })
}

/// Bytes container `id` read from and wrote to block devices.
pub fn block_io(id: &str) -> (u64, u64) {
    if cgroups::unified() {
        // `8:0 rbytes=1 wbytes=2 rios=...` per device.
        let text = read(cgroups::dir(id, "").join("io.stat"));
        return text
            .split_whitespace()
            .fold((0, 0), |(r, w), kv| match kv.split_once('=') {
                Some(("rbytes", n)) => (r + n.parse().unwrap_or(0), w),
                Some(("wbytes", n)) => (r, w + n.parse().unwrap_or(0)),
                _ => (r, w),
            });
    }
    // `8:0 Read 4096` per device and operation (the throttle file counts
    // I/O on every kernel; the CFQ one only with that scheduler).
    let d = cgroups::dir(id, "blkio");
    let mut text = read(d.join("blkio.throttle.io_service_bytes_recursive"));
    if text.trim().is_empty() {
        text = read(d.join("blkio.io_service_bytes_recursive"));
    }
    text.lines().fold((0, 0), |(r, w), l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        match (f.get(1), f.get(2).and_then(|n| n.parse::<u64>().ok())) {
            (Some(&"Read"), Some(n)) => (r + n, w),
            (Some(&"Write"), Some(n)) => (r, w + n),
            _ => (r, w),
        }
    })
}

fn read(p: std::path::PathBuf) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_net_dev() {
        // The test's own netns: readable, and a gone pid is zeros.
        let _ = net_io(std::process::id() as i32);
        assert_eq!(net_io(0), (0, 0));
        assert_eq!(block_io("no-such-container"), (0, 0));
    }
}
