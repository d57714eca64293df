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
        cmd,
    })
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
    }
}
