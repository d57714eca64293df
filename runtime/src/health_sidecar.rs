//! Health checks of a container run in the foreground. A detached
//! container's monitor probes from its own poll loop ([`crate::monitor`]);
//! the foreground runner's loops copy the terminal and forward signals, so
//! its probes run in a forked sidecar instead: off the terminal, the same
//! [`Checker`] (so `ps` and `inspect` show the same health), until the
//! runner closes the pipe between them (the container exited, or the
//! runner itself died). The sidecar then kills a probe in flight and
//! exits; the runner waits for it before tearing down, so no probe enters
//! a container that is going away.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::config::ContainerConfig;
use crate::health::Checker;
use crate::paths::Layout;
use crate::{sig, tty};

/// The runner's handle: dropping it stops the sidecar and waits for it.
pub struct Sidecar {
    pid: i32,
    /// The pipe's write end; its EOF tells the sidecar to stop.
    keep: Option<OwnedFd>,
}

/// Fork the sidecar for `cfg`'s health check. None when there is no check,
/// or no pipe or fork (the container then runs unprobed, "starting").
/// Single-threaded callers only: it forks.
pub fn spawn(layout: &Layout, cfg: &ContainerConfig) -> Option<Sidecar> {
    let checker = Checker::new(layout, cfg)?;
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two fds; O_CLOEXEC keeps them from the probes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return None;
    }
    // SAFETY: fresh fds we own.
    let (stop, keep) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: fork of the single-threaded runner; the child only runs the
    // checker's loop and exits.
    match unsafe { libc::fork() } {
        -1 => None,
        0 => {
            drop(keep);
            tty::leave_callers_terminal();
            probe_until_eof(checker, stop.as_raw_fd());
            // SAFETY: end the child without running the runner's exit path.
            unsafe { libc::_exit(0) }
        }
        pid => Some(Sidecar {
            pid,
            keep: Some(keep),
        }),
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        drop(self.keep.take());
        let mut status = 0;
        // SAFETY: waitpid on our own child; ECHILD if the runner's wait
        // loop already reaped it (it reaps every child).
        while unsafe { libc::waitpid(self.pid, &mut status, 0) } < 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
        {}
    }
}

/// The sidecar's loop: probes when due, their output and exits, until
/// `stop` reads EOF.
fn probe_until_eof(mut checker: Checker, stop: i32) {
    loop {
        while let Some((child, status)) = sig::reap_any() {
            checker.reaped(child, status);
        }
        checker.tick();
        let mut fds = [stop, checker.fd()].map(|fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        });
        // No signalfd here: a probe's exit is noticed by polling often
        // while one runs.
        let wait = checker.wait_ms();
        let timeout = if checker.probing() {
            wait.min(50)
        } else {
            wait
        };
        // SAFETY: poll over our fixed array.
        unsafe { libc::poll(fds.as_mut_ptr(), 2, timeout) };
        if fds[0].revents != 0 {
            checker.stop();
            return;
        }
        if fds[1].revents != 0 {
            checker.read();
        }
    }
}
