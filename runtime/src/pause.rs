//! `docker pause`/`unpause`: freeze and thaw every process of a container
//! through the cgroup freezer: `freezer.state` on cgroup v1 (and the hybrid
//! layout, whose v2 tree holds no controllers), `cgroup.freeze` on v2.
//!
//! Whether a container is paused is read from the cgroup, never stored: a
//! monitor that dies or a host that reboots cannot leave a stale "paused"
//! behind, and every skiff process sees the same answer.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cgroups;
use crate::error::{io_at, Error, Result};
use crate::paths::Layout;
use crate::state;

/// How long freezing may take before the attempt is undone: a task stuck
/// in an uninterruptible sleep keeps a v1 cgroup FREEZING forever.
const FREEZE_LIMIT: Duration = Duration::from_secs(10);

/// The file that controls the freezer, and what it is written to freeze
/// and to thaw.
fn control(id: &str) -> (PathBuf, &'static str, &'static str) {
    if cgroups::unified() {
        (cgroups::dir(id, "").join("cgroup.freeze"), "1", "0")
    } else {
        (
            cgroups::dir(id, "freezer").join("freezer.state"),
            "FROZEN",
            "THAWED",
        )
    }
}

/// Whether the container's processes are frozen (or being frozen).
pub fn is_paused(id: &str) -> bool {
    let (path, frozen, _) = control(id);
    match std::fs::read_to_string(path) {
        // v1 reads FREEZING while it works on it: paused already as far
        // as anyone is concerned.
        Ok(t) => t.trim() == frozen || t.trim() == "FREEZING",
        Err(_) => false,
    }
}

/// Whether the freeze has reached every process.
fn frozen_done(id: &str) -> bool {
    if cgroups::unified() {
        return std::fs::read_to_string(cgroups::dir(id, "").join("cgroup.events"))
            .map(|t| t.lines().any(|l| l.trim() == "frozen 1"))
            .unwrap_or(false);
    }
    std::fs::read_to_string(cgroups::dir(id, "freezer").join("freezer.state"))
        .map(|t| t.trim() == "FROZEN")
        .unwrap_or(false)
}

fn write(path: &std::path::Path, value: &str) -> Result<()> {
    std::fs::write(path, value).map_err(|e| io_at("cannot write", path, e))
}

/// Freeze a running container (docker's messages for the refusals).
pub fn pause(layout: &Layout, id: &str) -> Result<()> {
    let rec = state::load(layout, id)?;
    if !rec.is_running() {
        return Err(Error::Invalid(format!("Container {id} is not running")));
    }
    if is_paused(id) {
        return Err(Error::Invalid(format!("Container {id} is already paused")));
    }
    let (path, frozen, thawed) = control(id);
    if !path.exists() {
        return Err(Error::Runtime(format!(
            "cannot pause container {id}: no cgroup freezer at {}",
            path.display()
        )));
    }
    write(&path, frozen)?;
    let start = Instant::now();
    while !frozen_done(id) {
        if start.elapsed() >= FREEZE_LIMIT {
            let _ = write(&path, thawed);
            return Err(Error::Runtime(format!(
                "cannot pause container {id}: its processes did not freeze within {}s",
                FREEZE_LIMIT.as_secs()
            )));
        }
        // v1 retries the freeze only when the state is written again.
        if !cgroups::unified() {
            let _ = write(&path, frozen);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    crate::events::container(layout, &rec.config, "pause", &[]);
    Ok(())
}

/// Thaw a paused container.
pub fn unpause(layout: &Layout, id: &str) -> Result<()> {
    let rec = state::load(layout, id)?;
    if !rec.is_running() || !is_paused(id) {
        return Err(Error::Invalid(format!("Container {id} is not paused")));
    }
    let (path, _, thawed) = control(id);
    write(&path, thawed)?;
    crate::events::container(layout, &rec.config, "unpause", &[]);
    Ok(())
}

/// Thaw a container that was just sent a signal that must end it (SIGKILL,
/// its stop signal): a frozen process never runs to die. docker (and runc)
/// resume a paused container in the same cases. Does nothing when the
/// container is not paused.
pub fn resume_to_deliver(id: &str) {
    if is_paused(id) {
        let (path, _, thawed) = control(id);
        let _ = write(&path, thawed);
    }
}
