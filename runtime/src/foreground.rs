//! The foreground runner: `skiff run` without `-d` execs into this (hidden
//! entry `run`), a fresh single-threaded process that keeps the terminal.
//! It starts the container with the terminal's own fds (or a pty for `-t`),
//! forwards signals (docker's sig-proxy), runs the health check in a
//! sidecar ([`crate::health_sidecar`]), waits, tears down, removes a
//! `--rm` container and exits with the container's code.

use std::os::fd::AsRawFd;

use crate::launch::{self, Stdio};
use crate::paths::Layout;
use crate::record::Recorder;
use crate::{sig, state, tty};

pub fn run(layout: &Layout, id: &str) -> i32 {
    crate::mark("runtime process");
    let cfg = match state::load_config(&layout.container(id)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {e}");
            return 125;
        }
    };
    let record = Recorder {
        durable: !cfg.auto_remove,
        background_remove: true,
    };
    let sigfd = sig::block_to_fd(sig::FORWARDED);
    let stdio = if cfg.tty {
        Stdio::Tty
    } else {
        Stdio::Inherit {
            open_stdin: cfg.open_stdin,
        }
    };
    let launched = match launch::launch(layout, &cfg, stdio) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("Error: {}", friendly(&e));
            return record.start_failed(layout, &cfg, &e);
        }
    };
    let pid = launched.pid;
    record.running(layout, &cfg, pid);
    let health = crate::health_sidecar::spawn(layout, &cfg);

    let status = match (&launched.pty_master, &sigfd) {
        (Some(master), Some(sfd)) => {
            wait_with_pty(pid, master.as_raw_fd(), sfd.as_raw_fd(), cfg.open_stdin)
        }
        (None, Some(sfd)) => wait_plain(pid, sfd.as_raw_fd()),
        _ => wait_blocking(pid),
    };
    drop(health);
    let code = launch::exit_code(status);
    // A --rm container's background removal (record.exited) also settles
    // the network it leaves idle.
    let keep_idle = cfg.auto_remove && record.background_remove;
    let ended = launch::teardown(layout, &cfg, Some(launched.container), keep_idle);
    record.exited(layout, &cfg, code, ended);
    crate::restart_policy::hand_over(layout, &cfg, code);
    code
}

pub fn wait_blocking(pid: i32) -> i32 {
    let mut status = 0;
    // SAFETY: waitpid on our own child.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return 125 << 8;
        }
    }
    status
}

/// Wait for `pid`, forwarding the signals skiff receives.
pub fn wait_plain(pid: i32, sfd: i32) -> i32 {
    loop {
        if let Some(st) = sig::reap(pid) {
            return st;
        }
        let mut fds = [libc::pollfd {
            fd: sfd,
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: poll on one valid fd.
        unsafe { libc::poll(fds.as_mut_ptr(), 1, -1) };
        for s in sig::drain(sfd) {
            if s != libc::SIGCHLD && s != libc::SIGWINCH {
                sig::send(pid, s);
            }
        }
    }
}

/// Wait for `pid` while copying between the user's terminal and the pty.
pub fn wait_with_pty(pid: i32, master: i32, sfd: i32, open_stdin: bool) -> i32 {
    let _raw = if open_stdin {
        tty::RawMode::enter(0)
    } else {
        None
    };
    tty::copy_winsize(0, master);
    let mut buf = [0u8; 8192];
    let mut stdin_open = open_stdin;
    let mut status = None;
    loop {
        if status.is_none() {
            status = sig::reap(pid);
        }
        let mut fds = [
            libc::pollfd {
                fd: sfd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: master,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if stdin_open { 0 } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // Once the process is gone, only drain what the pty still holds.
        let timeout = if status.is_some() { 50 } else { -1 };
        // SAFETY: poll on valid (or -1, ignored) fds.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 3, timeout) };
        if n == 0 && status.is_some() {
            break;
        }
        if fds[0].revents != 0 {
            for s in sig::drain(sfd) {
                match s {
                    libc::SIGCHLD => {}
                    libc::SIGWINCH => tty::copy_winsize(0, master),
                    s => {
                        sig::send(pid, s);
                    }
                }
            }
        }
        if fds[1].revents != 0 {
            // SAFETY: read into our buffer.
            let r = unsafe { libc::read(master, buf.as_mut_ptr().cast(), buf.len()) };
            if r <= 0 {
                if status.is_some() {
                    break;
                }
                if status.is_none() {
                    // EIO: every slave fd closed; the process is exiting.
                    status = Some(wait_blocking(pid));
                    break;
                }
            } else {
                write_all(1, &buf[..r as usize]);
            }
        }
        if stdin_open && fds[2].revents != 0 {
            // SAFETY: read into our buffer.
            let r = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
            if r <= 0 {
                stdin_open = false;
                // EOF on a pipe: send the terminal's EOF character.
                write_all(master, &[4]);
            } else {
                write_all(master, &buf[..r as usize]);
            }
        }
    }
    status.unwrap_or_else(|| wait_blocking(pid))
}

pub fn write_all(fd: i32, mut data: &[u8]) {
    while !data.is_empty() {
        // SAFETY: write from a valid slice.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EAGAIN) {
                let mut p = libc::pollfd {
                    fd,
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: poll one fd.
                unsafe { libc::poll(&mut p, 1, 1000) };
                continue;
            }
            return;
        }
        data = &data[n as usize..];
    }
}

/// libcontainer wraps the interesting part of a start failure in layers of
/// context ("... error in executing process : exec: ..."): keep the end.
pub fn friendly(e: &crate::Error) -> String {
    let m = e.to_string();
    match m.rfind("error in executing process : ") {
        Some(i) => m[i + "error in executing process : ".len()..].to_string(),
        None => m,
    }
}
