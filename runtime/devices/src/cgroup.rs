//! Where a container's cgroup v2 directory is, and joining it on hybrid
//! hosts.
//!
//! On a pure v2 host (`/sys/fs/cgroup` is cgroup2) libcontainer creates and
//! joins the container's cgroup; the filter goes on that directory. On a
//! hybrid host (v1 controllers, plus an empty cgroup2 tree at
//! `/sys/fs/cgroup/unified`) libcontainer only uses v1, whose devices
//! controller enforces the list; skiff also puts the container in a v2
//! cgroup there and attaches the filter, so both hierarchies enforce. A
//! v1-only host has no v2 tree at all.

use std::path::{Path, PathBuf};

use crate::error::Error;

const ROOT: &str = "/sys/fs/cgroup";

/// The cgroup v2 layout of this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// cgroup2 at /sys/fs/cgroup.
    Unified,
    /// v1 controllers, cgroup2 (controller-less) at /sys/fs/cgroup/unified.
    Hybrid,
    /// No cgroup2 mount.
    Legacy,
}

impl Host {
    pub fn detect() -> Host {
        // Only a cgroup2 root has cgroup.controllers.
        if Path::new(ROOT).join("cgroup.controllers").exists() {
            Host::Unified
        } else if Path::new(ROOT).join("unified/cgroup.controllers").exists() {
            Host::Hybrid
        } else {
            Host::Legacy
        }
    }

    /// The v2 directory for the cgroup path `rel` (`/skiff/<id>`).
    pub fn v2_dir(&self, rel: &str) -> Option<PathBuf> {
        let rel = rel.trim_start_matches('/');
        match self {
            Host::Unified => Some(Path::new(ROOT).join(rel)),
            Host::Hybrid => Some(Path::new(ROOT).join("unified").join(rel)),
            Host::Legacy => None,
        }
    }
}

/// The calling process inside a v2 cgroup until dropped, when it goes back
/// where it was. Its children forked meanwhile stay: that is how they get
/// in before they unshare their cgroup namespace (the container then sees
/// its own cgroup as `/`).
#[derive(Debug)]
pub struct Joined {
    back: PathBuf,
}

/// Create `dir` (a v2 cgroup) and move the calling process into it.
pub fn join(dir: &Path) -> Result<Joined, Error> {
    let mount = mount_of(dir);
    let back = own_v2_path()
        .map(|p| mount.join(p.trim_start_matches('/')))
        .unwrap_or_else(|| mount.clone());
    std::fs::create_dir_all(dir).map_err(|e| Error::cgroup(dir, e))?;
    let procs = dir.join("cgroup.procs");
    // "0" is the writing process itself.
    std::fs::write(&procs, "0").map_err(|e| Error::cgroup(procs, e))?;
    Ok(Joined { back })
}

impl Drop for Joined {
    fn drop(&mut self) {
        if std::fs::write(self.back.join("cgroup.procs"), "0").is_err() {
            // The original cgroup went away: the root always exists.
            let _ = std::fs::write(mount_of(&self.back).join("cgroup.procs"), "0");
        }
    }
}

/// The cgroup2 mount `dir` is under.
fn mount_of(dir: &Path) -> PathBuf {
    let unified = Path::new(ROOT).join("unified");
    if dir.starts_with(&unified) {
        unified
    } else {
        PathBuf::from(ROOT)
    }
}

/// The calling process's v2 cgroup (`0::/path` in /proc/self/cgroup).
fn own_v2_path() -> Option<String> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(str::to_string)
}
