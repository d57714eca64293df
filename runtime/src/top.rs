//! `top`: the processes of a running container, read from /proc for the
//! pids in its cgroup (docker runs `ps` on the host for the same list).

use nix::sys::stat;

use crate::user::{self, Passwd};
use crate::{cgroups, state, Error, Layout, Result};

/// One process as `top` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// ps's UID column: the real uid's name in the host's /etc/passwd
    /// (docker runs `ps` on the host), else the uid itself.
    pub user: String,
    pub pid: i32,
    pub ppid: i32,
    /// User plus system CPU time, in seconds.
    pub cpu_secs: u64,
    /// When it started, in seconds since the epoch (ps's STIME).
    pub start_secs: u64,
    /// Its controlling terminal as ps names it (`pts/0`), or `?`.
    pub tty: String,
    /// The command line, arguments joined by spaces.
    pub cmd: String,
}

/// The processes of running container `id`, by pid; processes that exit
/// while being read are left out.
pub fn processes(layout: &Layout, id: &str) -> Result<Vec<Process>> {
    let rec = state::load(layout, id)?;
    if !rec.is_running() {
        return Err(Error::Invalid(format!("container {id} is not running")));
    }
    let mut pids = cgroups::pids(id);
    pids.sort();
    let users = user::host_passwd();
    Ok(pids
        .into_iter()
        .filter_map(|pid| process(pid, &users))
        .collect())
}

/// /proc/PID's stat, status and cmdline (procfs parses the first two).
fn process(pid: i32, users: &[Passwd]) -> Option<Process> {
    let p = procfs::process::Process::new(pid).ok()?;
    let stat = p.stat().ok()?;
    let uid = p.status().ok().map(|s| s.ruid);
    let user = match uid {
        Some(uid) => users
            .iter()
            .find(|u| u.uid == uid)
            .map_or_else(|| uid.to_string(), |u| u.name.clone()),
        None => String::new(),
    };
    // Read here, not with procfs's cmdline(): a command line that is not
    // UTF-8 is still shown (lossily), as ps does.
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .split('\0')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let ticks = procfs::ticks_per_second();
    Some(Process {
        user,
        pid,
        ppid: stat.ppid,
        cpu_secs: (stat.utime + stat.stime) / ticks,
        start_secs: procfs::boot_time_secs().unwrap_or(0) + stat.starttime / ticks,
        tty: tty_name(stat.tty_nr as u32),
        cmd,
    })
}

/// ps's name for a tty_nr: pseudo-terminals (major 136-143) as `pts/N`,
/// other terminals by their numbers, none as `?`.
fn tty_name(nr: u32) -> String {
    let dev = u64::from(nr);
    let (major, minor) = (stat::major(dev), stat::minor(dev));
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
        let users = user::host_passwd();
        let me = process(std::process::id() as i32, &users).unwrap();
        assert_eq!(me.pid, std::process::id() as i32);
        assert!(!me.cmd.is_empty());
        if nix::unistd::getuid().is_root() {
            assert_eq!(me.user, "root", "uid 0 named from the host's passwd");
        }
        assert!(me.start_secs > 1_500_000_000, "{}", me.start_secs);
    }

    #[test]
    fn tty_names() {
        assert_eq!(tty_name(0), "?");
        assert_eq!(tty_name(136 << 8 | 3), "pts/3");
        // The minor's high bits sit above the major's twelve.
        assert_eq!(tty_name(1 << 20 | 136 << 8 | 3), "pts/259");
        assert_eq!(tty_name(300 << 8 | 1), "300:1");
    }
}
