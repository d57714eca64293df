//! `top`: the processes of a running container, read from /proc for the
//! pids in its cgroup (docker runs `ps` on the host for the same list).

use crate::{cgroups, state, Error, Layout, Result};

/// One process as `top` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// The real uid (first field of `Uid:` in /proc/PID/status).
    pub uid: String,
    pub pid: i32,
    pub ppid: String,
    /// User plus system CPU time, in seconds.
    pub cpu_secs: u64,
    /// When it started, in seconds since the epoch (ps's STIME).
    pub start_secs: u64,
    /// Its controlling terminal as ps names it (`pts/0`), or `?`.
    pub tty: String,
    /// The command line, arguments joined by spaces.
    pub cmd: String,
}

/// USER_HZ on every Linux ABI skiff targets.
const TICKS_PER_SEC: u64 = 100;

/// The processes of running container `id`, by pid; processes that exit
/// while being read are left out.
pub fn processes(layout: &Layout, id: &str) -> Result<Vec<Process>> {
    let rec = state::load(layout, id)?;
    if !rec.is_running() {
        return Err(Error::Invalid(format!("container {id} is not running")));
    }
    let mut pids = cgroups::pids(id);
    pids.sort();
    Ok(pids.into_iter().filter_map(process).collect())
}

fn process(pid: i32) -> Option<Process> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name (which may hold spaces).
    let close = stat.rfind(')')?;
    let f: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
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
    Some(Process {
        uid,
        pid,
        ppid: f.get(1).copied().unwrap_or("0").to_string(),
        cpu_secs: (field(11) + field(12)) / TICKS_PER_SEC,
        start_secs: boot_time() + field(19) / TICKS_PER_SEC,
        tty: tty_name(field(4)),
        cmd,
    })
}

/// The host's boot time (`btime` of /proc/stat), seconds since the epoch.
fn boot_time() -> u64 {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("btime "))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// ps's name for a tty_nr: pseudo-terminals (major 136-143) as `pts/N`,
/// other terminals by their numbers, none as `?`.
fn tty_name(nr: u64) -> String {
    let major = (nr >> 8) & 0xfff;
    let minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
    match major {
        0 => "?".to_string(),
        136..=143 => format!("pts/{}", (major - 136) * 256 + minor),
        _ => format!("{major}:{minor}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = process(std::process::id() as i32).unwrap();
        assert_eq!(me.pid, std::process::id() as i32);
        assert!(!me.cmd.is_empty());
        assert!(!me.uid.is_empty());
        assert!(me.start_secs > 1_500_000_000, "{}", me.start_secs);
    }

    #[test]
    fn tty_names() {
        assert_eq!(tty_name(0), "?");
        assert_eq!(tty_name(136 << 8 | 3), "pts/3");
    }
}
