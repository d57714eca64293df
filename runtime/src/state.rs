//! A container's lifecycle state (`state.json`) and how any skiff process
//! finds containers by id, id prefix or name.
//!
//! The runtime process that owns a container (the foreground runner or the
//! detached monitor) is the only writer of `Running`/`Exited`; other
//! processes read the file and signal the recorded pids. Writes are atomic
//! renames under the container's flock.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::ContainerConfig;
use crate::error::{io_at, Error, Result};
use crate::paths::Layout;
use skiff_core::atomic::{atomic_write_mode, Durability};
use skiff_core::lock::{lock_file, LockGuard, LockKind};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Created,
    Running,
    Exited,
    Removing,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Exited => "exited",
            Status::Removing => "removing",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    pub status: Status,
    /// Host pid of the container's init process while running.
    pub pid: i32,
    /// Pid of the skiff process that owns the container (runner/monitor).
    pub monitor_pid: i32,
    pub exit_code: i32,
    pub oom_killed: bool,
    /// RFC 3339; empty when never started / not finished.
    pub started_at: String,
    pub finished_at: String,
    pub error: String,
    pub restart_count: u32,
    /// Set while `stop`/`kill` is in progress, so the exit is not reported
    /// as unexpected.
    #[serde(default)]
    pub stopping: bool,
    /// `stop` or `kill` ended the container: its restart policy no longer
    /// applies (docker's "manually stopped"). Cleared by the user's next
    /// `start` (not by the monitor's restarts).
    #[serde(default)]
    pub stopped_by_user: bool,
    /// The monitor (`monitor_pid`) is waiting out the restart back-off.
    #[serde(default)]
    pub restarting: bool,
    /// The health check's state, when the container has one.
    #[serde(default)]
    pub health: Option<crate::health::Health>,
}

/// A container as stored: its config and its current state.
#[derive(Debug, Clone)]
pub struct Record {
    pub config: ContainerConfig,
    pub state: State,
}

impl Record {
    /// Whether the container's process is really alive: `Running` and the
    /// owning process still exists (a crashed monitor must not leave a
    /// container "running" forever).
    pub fn is_running(&self) -> bool {
        self.state.status == Status::Running
            && self.state.monitor_pid > 0
            && process_alive(self.state.monitor_pid)
    }

    /// Between two runs under a restart policy, while its monitor waits.
    pub fn is_restarting(&self) -> bool {
        self.state.restarting && process_alive(self.state.monitor_pid)
    }

    /// docker's status word for `ps` and `inspect`.
    pub fn status_word(&self) -> &'static str {
        if self.is_running() {
            if crate::pause::is_paused(&self.config.id) {
                "paused"
            } else {
                "running"
            }
        } else if self.is_restarting() {
            "restarting"
        } else if self.state.status == Status::Created {
            "created"
        } else if self.state.status == Status::Removing {
            "removing"
        } else {
            "exited"
        }
    }
}

pub fn process_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    pid > 0 && (unsafe { libc::kill(pid, 0) } == 0 || last_errno() == libc::EPERM)
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

pub fn load_config(dir: &Path) -> Result<ContainerConfig> {
    let p = dir.join("container.json");
    let data = std::fs::read(&p).map_err(|e| io_at("cannot read", &p, e))?;
    serde_json::from_slice(&data).map_err(|e| Error::Runtime(format!("{}: {e}", p.display())))
}

pub fn save_config(dir: &Path, cfg: &ContainerConfig, durable: bool) -> Result<()> {
    let data = serde_json::to_vec_pretty(cfg).map_err(|e| Error::Runtime(e.to_string()))?;
    write_private(&dir.join("container.json"), &data, durable)
}

pub fn load_state(dir: &Path) -> Result<State> {
    let p = dir.join("state.json");
    match std::fs::read(&p) {
        Ok(data) => serde_json::from_slice(&data)
            .map_err(|e| Error::Runtime(format!("{}: {e}", p.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(e) => Err(io_at("cannot read", &p, e)),
    }
}

pub fn save_state(dir: &Path, st: &State, durable: bool) -> Result<()> {
    let data = serde_json::to_vec(st).map_err(|e| Error::Runtime(e.to_string()))?;
    write_private(&dir.join("state.json"), &data, durable)
}

/// Take the container's exclusive lock (`<dir>/lock`), held by whoever
/// changes its state or removes it.
pub fn lock(dir: &Path) -> Result<LockGuard> {
    Ok(lock_file(&dir.join("lock"), LockKind::Exclusive)?)
}

/// Atomic replace, readable by root only (container.json and the OCI spec
/// hold `-e` values); `durable` adds the fsyncs, which `--rm` containers
/// skip because their state dies with the process anyway.
pub(crate) fn write_private(path: &Path, data: &[u8], durable: bool) -> Result<()> {
    let durability = if durable {
        Durability::Durable
    } else {
        Durability::Volatile
    };
    Ok(atomic_write_mode(path, data, 0o600, durability)?)
}

/// Read-modify-write the state under the container's lock.
pub fn update_state(dir: &Path, durable: bool, f: impl FnOnce(&mut State)) -> Result<State> {
    let _lock = lock(dir)?;
    let mut st = load_state(dir)?;
    f(&mut st);
    save_state(dir, &st, durable)?;
    Ok(st)
}

pub fn load(layout: &Layout, id: &str) -> Result<Record> {
    let dir = layout.container(id);
    Ok(Record {
        config: load_config(&dir)?,
        state: load_state(&dir)?,
    })
}

/// Every stored container, newest first.
pub fn list(layout: &Layout) -> Result<Vec<Record>> {
    let dir = layout.containers();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_at("cannot read", &dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.len() != 64 {
            continue;
        }
        // A container being created or removed concurrently may lack its
        // files for a moment: skip it rather than fail the listing.
        if let Ok(rec) = load(layout, &name) {
            out.push(rec);
        }
    }
    out.sort_by(|a, b| b.config.created.cmp(&a.config.created));
    Ok(out)
}

/// Find a container by full id, name, or unique id prefix (docker's rules).
pub fn resolve(layout: &Layout, reference: &str) -> Result<String> {
    let reference = reference.strip_prefix('/').unwrap_or(reference);
    if reference.is_empty() {
        return Err(Error::NoSuchContainer(reference.to_string()));
    }
    if reference.len() == 64 && layout.container(reference).join("container.json").exists() {
        return Ok(reference.to_string());
    }
    if let Ok(target) = std::fs::read_link(layout.names().join(reference)) {
        let id = target.to_string_lossy().into_owned();
        if layout.container(&id).exists() {
            return Ok(id);
        }
    }
    if reference.chars().all(|c| c.is_ascii_hexdigit()) {
        let mut found: Vec<String> = Vec::new();
        if let Ok(entries) = std::fs::read_dir(layout.containers()) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.len() == 64 && n.starts_with(reference) {
                    found.push(n);
                }
            }
        }
        match found.len() {
            1 => return Ok(found.remove(0)),
            0 => {}
            _ => {
                return Err(Error::Invalid(format!(
                    "multiple containers found with provided prefix: {reference}"
                )))
            }
        }
    }
    Err(Error::NoSuchContainer(reference.to_string()))
}

/// Reserve `name` for `id` atomically: a symlink creation either succeeds
/// or fails with EEXIST, so two concurrent `run --name x` cannot both win.
pub fn reserve_name(layout: &Layout, name: &str, id: &str) -> Result<()> {
    let dir = layout.names();
    std::fs::create_dir_all(&dir).map_err(|e| io_at("cannot create", &dir, e))?;
    match std::os::unix::fs::symlink(id, dir.join(name)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let owner = std::fs::read_link(dir.join(name))
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !owner.is_empty() && !layout.container(&owner).exists() {
                // A stale reservation left by a crashed create: take it over.
                let _ = std::fs::remove_file(dir.join(name));
                return reserve_name(layout, name, id);
            }
            Err(Error::Invalid(format!(
                "Conflict. The container name \"/{name}\" is already in use by container \"{owner}\". You have to remove (or rename) that container to be able to reuse that name."
            )))
        }
        Err(e) => Err(io_at("cannot reserve name in", &dir, e)),
    }
}

pub fn release_name(layout: &Layout, name: &str, id: &str) {
    let link = layout.names().join(name);
    if let Ok(t) = std::fs::read_link(&link) {
        if t.to_string_lossy() == id {
            let _ = std::fs::remove_file(&link);
        }
    }
}

/// A `--name` as docker takes it: one leading `/` dropped (docker's own
/// spelling of names), the rest checked against [`valid_name`], the error
/// naming the name as given.
pub fn checked_name(given: &str) -> Result<&str> {
    let n = given.strip_prefix('/').unwrap_or(given);
    if !valid_name(n) {
        return Err(Error::Invalid(format!(
            "Invalid container name ({given}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )));
    }
    Ok(n)
}

/// docker's name rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}
