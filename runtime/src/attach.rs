//! `attach`: a detached container's output, live, until it exits, then its
//! exit code; with `sig_proxy`, signals to the attaching process go to the
//! container's process.
//!
//! There is no daemon holding the container's stdio: its monitor writes
//! stdout and stderr to the json-file log, so attaching follows that log
//! from its end. stdin is never attached (the monitor has no socket to
//! pass it through); [`Attachment::stdin_dropped`] says when the caller
//! asked for it on a container that keeps stdin open, so the CLI can warn.

use std::os::fd::AsRawFd;

use crate::logs::{Entry, ReadOptions};
use crate::{follow, sig, state, Layout};

/// What `attach` was asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct AttachOptions {
    /// Forward the signals skiff forwards for `run` to the container.
    pub sig_proxy: bool,
    /// The caller does not want stdin attached (`--no-stdin`).
    pub no_stdin: bool,
}

/// Why a container cannot be attached to.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// Created or exited: there is no output to follow.
    #[error("container {0} is not running")]
    NotRunning(String),
    /// Frozen: it would write nothing until unpaused.
    #[error("container {0} is paused")]
    Paused(String),
    /// Resolving or reading the container failed.
    #[error(transparent)]
    Runtime(#[from] crate::Error),
}

/// A running container, checked and ready to follow.
#[derive(Debug)]
pub struct Attachment<'a> {
    layout: &'a Layout,
    id: String,
    pid: i32,
    sig_proxy: bool,
    /// stdin was wanted and the container keeps it open, but it is not
    /// attached (not supported yet).
    pub stdin_dropped: bool,
}

/// Check that container `reference` can be attached to: running and not
/// paused.
pub fn open<'a>(
    layout: &'a Layout,
    reference: &str,
    opts: AttachOptions,
) -> Result<Attachment<'a>, AttachError> {
    let id = state::resolve(layout, reference)?;
    let rec = state::load(layout, &id)?;
    if !rec.is_running() {
        return Err(AttachError::NotRunning(reference.to_string()));
    }
    if crate::pause::is_paused(&id) {
        return Err(AttachError::Paused(reference.to_string()));
    }
    Ok(Attachment {
        layout,
        id,
        pid: rec.state.pid,
        sig_proxy: opts.sig_proxy,
        stdin_dropped: rec.config.open_stdin && !opts.no_stdin,
    })
}

impl Attachment<'_> {
    /// Hand what the container writes from now on to `sink` until it
    /// stops, proxying signals meanwhile; returns its exit code, as
    /// docker's attach exits with.
    pub fn follow(self, mut sink: impl FnMut(&[Entry])) -> i32 {
        // Blocked and read from a signalfd between log reads, so none of
        // them ends the attaching process itself while it is proxied.
        let signals = self
            .sig_proxy
            .then(|| sig::block_to_fd(sig::FORWARDED))
            .flatten();
        // From the log's end: attach shows what the container writes from now.
        let opts = ReadOptions {
            tail: Some(0),
            since: None,
            until: None,
        };
        follow::read_log(self.layout, &self.id, &opts, true, |entries| {
            sink(entries);
            if let Some(fd) = &signals {
                for s in sig::drain(fd.as_raw_fd()) {
                    if s != libc::SIGCHLD {
                        sig::send(self.pid, s);
                    }
                }
            }
        });
        // A container removed as it exited (--rm) has no code left to read.
        state::load(self.layout, &self.id)
            .map(|r| r.state.exit_code)
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::LogWriter;
    use crate::state::{State, Status};
    use crate::ContainerConfig;

    /// A container record whose monitor is this test process, so it counts
    /// as running while `status` says so.
    fn container(layout: &Layout, status: Status, open_stdin: bool) -> String {
        let id = "a".repeat(64);
        let dir = layout.container(&id);
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = ContainerConfig {
            id: id.clone(),
            open_stdin,
            ..Default::default()
        };
        state::save_config(&dir, &cfg, false).unwrap();
        let st = State {
            status,
            monitor_pid: std::process::id() as i32,
            ..Default::default()
        };
        state::save_state(&dir, &st, false).unwrap();
        id
    }

    #[test]
    fn only_a_running_container_is_attached_to() {
        let root = tempfile::tempdir().unwrap();
        let layout = Layout::new(root.path());
        let opts = AttachOptions::default();
        assert!(matches!(
            open(&layout, "nosuch", opts),
            Err(AttachError::Runtime(crate::Error::NoSuchContainer(_)))
        ));
        let id = container(&layout, Status::Exited, false);
        assert!(matches!(
            open(&layout, &id[..12], opts),
            Err(AttachError::NotRunning(r)) if r == id[..12]
        ));
        container(&layout, Status::Running, true);
        let a = open(&layout, &id[..12], opts).unwrap();
        assert!(a.stdin_dropped);
        let no_stdin = AttachOptions {
            no_stdin: true,
            ..opts
        };
        assert!(!open(&layout, &id, no_stdin).unwrap().stdin_dropped);
    }

    #[test]
    fn follows_new_output_and_returns_the_exit_code() {
        let root = tempfile::tempdir().unwrap();
        let layout = Layout::new(root.path());
        let id = container(&layout, Status::Running, false);
        let log = follow::log_path(&layout, &id);
        LogWriter::open(&log).write(0, b"before\n");
        let a = open(&layout, &id, AttachOptions::default()).unwrap();
        let dir = layout.container(&id);
        let monitor = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            LogWriter::open(&log).write(0, b"after\n");
            std::thread::sleep(std::time::Duration::from_millis(200));
            state::update_state(&dir, false, |s| {
                s.status = Status::Exited;
                s.exit_code = 3;
            })
            .unwrap();
        });
        let mut seen = Vec::new();
        let code = a.follow(|e| seen.extend(e.iter().map(|e| e.log.clone())));
        monitor.join().unwrap();
        assert_eq!(code, 3);
        assert_eq!(seen, ["after\n"]);
    }
}
