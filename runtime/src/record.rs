//! What a runtime process (the foreground runner or a detached monitor)
//! records in `state.json` at each turn of its container's life: running,
//! failed to start, exited; a `--rm` container is removed instead of
//! recorded as ended.

use crate::config::ContainerConfig;
use crate::error::Error;
use crate::launch::{Ended, StartFailure};
use crate::paths::Layout;
use crate::state::{self, Status};
use crate::{now_rfc3339, remove};

/// How a runtime process writes state.
#[derive(Debug, Clone, Copy)]
pub struct Recorder {
    /// fsync each write. A foreground `--rm` container's state is only for
    /// `ps` and `stop` while it runs: no fsync needed.
    pub durable: bool,
    /// Remove a `--rm` container's directory in a detached child, so the
    /// caller exits without waiting for the disk (single-threaded callers
    /// that exit right after: it forks a child it does not wait for).
    pub background_remove: bool,
}

impl Recorder {
    /// The container could not be started: record why (or remove a `--rm`
    /// container) and return docker's exit code for the failure.
    pub fn start_failed(&self, layout: &Layout, cfg: &ContainerConfig, e: &Error) -> i32 {
        let code = StartFailure::of(e).exit_code();
        if cfg.auto_remove {
            let _ = remove::remove_files(layout, cfg, true);
        } else {
            let _ = state::update_state(&layout.container(&cfg.id), self.durable, |s| {
                s.status = Status::Exited;
                s.exit_code = code;
                s.error = e.to_string();
                s.monitor_pid = 0;
            });
        }
        code
    }

    /// The container's process `pid` runs, watched by this process.
    pub fn running(&self, layout: &Layout, cfg: &ContainerConfig, pid: i32) {
        let me = std::process::id() as i32;
        let started = now_rfc3339();
        let health = crate::health::starting(cfg);
        let _ = state::update_state(&layout.container(&cfg.id), self.durable, |s| {
            s.health = health;
            s.status = Status::Running;
            s.pid = pid;
            s.monitor_pid = me;
            s.started_at = started;
            s.finished_at.clear();
            s.error.clear();
            s.oom_killed = false;
            s.stopping = false;
            s.restarting = false;
        });
        crate::events::container(layout, cfg, "start", &[]);
    }

    /// The container's process exited with `code` and was torn down.
    pub fn exited(&self, layout: &Layout, cfg: &ContainerConfig, code: i32, ended: Ended) {
        crate::events::container(layout, cfg, "die", &[("exitCode", &code.to_string())]);
        if cfg.auto_remove {
            // Every caller tore the container down first (launch::teardown).
            let _ = remove::remove_files_with(layout, cfg, true, self.background_remove, true);
            crate::mark("removed");
            return;
        }
        let finished = now_rfc3339();
        let _ = state::update_state(&layout.container(&cfg.id), self.durable, |s| {
            s.status = Status::Exited;
            s.exit_code = code;
            s.oom_killed = ended.oom_killed;
            s.finished_at = finished;
            s.pid = 0;
            s.monitor_pid = 0;
        });
    }
}
