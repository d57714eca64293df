//! Start the kernel's wait for a cgroup migration early, in parallel with
//! the rest of a container's start.
//!
//! # Why
//! Moving a process into a cgroup (a write to `cgroup.procs`, what
//! libcgroups does in libcontainer's intermediate process before it clones
//! the container's init) takes the kernel's global
//! `cgroup_threadgroup_rwsem` for writing. That per-CPU rwsem first waits
//! for a full RCU grace period (`rcu_sync_enter`), unless another writer
//! entered it less than a grace period ago. With HZ=250 a grace period is
//! 6 to 28 ms on this project's 2-vCPU VM (`scripts/bench/README.md`): the
//! largest single wait of `skiff run --rm busybox true`, and runc pays it
//! too. It is the kernel's cost, but nothing says it must be paid *after*
//! skiff's own setup: a writer that enters now, from a child process, opens
//! the grace period while the CLI execs into the runner and the runner
//! mounts the rootfs, plumbs the network and compiles seccomp. When
//! libcgroups then writes, the grace period is over (or partly so) and its
//! write does not wait again (or waits only for the rest).
//!
//! # How
//! A forked child writes `0` (itself) into the `cgroup.procs` of the cgroup
//! it is already in, which migrates nothing but takes the rwsem, and exits.
//! Nobody waits for it: whoever is its parent then (the CLI, or the runner
//! the CLI execs into) reaps it with the other children. If anything fails
//! (no cgroupfs, not root) nothing is lost but the head start.

use std::ffi::CString;
use std::path::{Path, PathBuf};

/// Fork the child that opens the grace period. Safe to call from a
/// multi-threaded process: the child makes three syscalls and `_exit`s.
pub fn prime() {
    let Some(path) = own_procs_file() else {
        return;
    };
    let Ok(path) = CString::new(path.into_os_string().into_encoded_bytes()) else {
        return;
    };
    // SAFETY: the child only calls async-signal-safe functions (open,
    // write, _exit) on memory prepared before the fork.
    unsafe {
        if libc::fork() == 0 {
            let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd >= 0 {
                libc::write(fd, c"0".as_ptr().cast(), 1);
            }
            libc::_exit(0);
        }
    }
}

/// `cgroup.procs` of this process's own cgroup: on cgroup v2 the unified
/// one, on v1 (and hybrid) the `pids` hierarchy's (any hierarchy takes the
/// same global rwsem).
fn own_procs_file() -> Option<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    procs_file(&text, crate::cgroups::unified())
}

fn procs_file(proc_self_cgroup: &str, unified: bool) -> Option<PathBuf> {
    let (mount, path) = proc_self_cgroup.lines().find_map(|l| {
        let mut f = l.splitn(3, ':');
        let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
        match (unified, controllers) {
            (true, "") => Some(("/sys/fs/cgroup".to_string(), path)),
            (false, c) if c.split(',').any(|c| c == "pids") => {
                Some((format!("/sys/fs/cgroup/{c}"), path))
            }
            _ => None,
        }
    })?;
    let rel = path.trim_start_matches('/');
    // A path with `..` would leave the hierarchy: not ours to write.
    if Path::new(rel)
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    Some(Path::new(&mount).join(rel).join("cgroup.procs"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_cgroup_of_the_pids_hierarchy_or_the_unified_one() {
        let hybrid = "12:pids:/user.slice/x.scope\n0::/user.slice/x.scope\n";
        assert_eq!(
            procs_file(hybrid, false).unwrap(),
            Path::new("/sys/fs/cgroup/pids/user.slice/x.scope/cgroup.procs")
        );
        assert_eq!(
            procs_file(hybrid, true).unwrap(),
            Path::new("/sys/fs/cgroup/user.slice/x.scope/cgroup.procs")
        );
        assert_eq!(
            procs_file("3:pids:/\n", false).unwrap(),
            Path::new("/sys/fs/cgroup/pids/cgroup.procs")
        );
        assert!(procs_file("3:memory:/a\n", false).is_none());
        assert!(procs_file("3:pids:/a/../../b\n", false).is_none());
    }
}
