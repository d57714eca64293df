//! The detached container's monitor (docker's containerd-shim, podman's
//! conmon): `skiff run -d` spawns skiff's hidden `monitor` entry, which
//! forks once more and lets the first child exit, so the monitor is
//! re-parented away from the CLI and survives it. It starts the container
//! with pipes (or a pty) for stdio, writes everything the container prints
//! to `ctr.log`, records the exit code and time, and removes `--rm`
//! containers.
//!
//! The loop is allocation-light and has no async runtime: one poll(2) over
//! a signalfd and the output fds, fixed buffers, so its RSS stays small.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;

use crate::launch::{self, Stdio};
use crate::logs::LogWriter;
use crate::paths::Layout;
use crate::record::Recorder;
use crate::{sig, state};

/// A monitor's records are durable (it outlives the CLI, which may be
/// long gone when the container exits) and it removes a `--rm` container
/// itself, in the foreground of its own process.
const RECORD: Recorder = Recorder {
    durable: true,
    background_remove: false,
};

/// Entry point of the hidden `monitor` command. `sync_fd` is the write end
/// of a pipe the CLI reads: `ok <pid>` or `err <message>`, then EOF.
pub fn run(layout: &Layout, id: &str, sync_fd: i32) -> i32 {
    // SAFETY: sync_fd was handed to us by the CLI; fork before any thread.
    let sync = unsafe { OwnedFd::from_raw_fd(sync_fd) };
    unsafe {
        libc::fcntl(sync_fd, libc::F_SETFD, libc::FD_CLOEXEC);
        match libc::fork() {
            -1 => {
                report(&sync, "err cannot fork the monitor");
                return 125;
            }
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
    }
    let _ = std::env::set_current_dir("/");
    let dir = layout.container(id);
    let cfg = match state::load_config(&dir) {
        Ok(c) => c,
        Err(e) => {
            report(&sync, &format!("err {e}"));
            return 125;
        }
    };
    let sigfd = sig::block_all_chld_fd();

    // stdout/stderr pipes (or the pty) that this process reads.
    let (out_r, out_w) = match pipe() {
        Ok(p) => p,
        Err(e) => {
            report(&sync, &format!("err cannot create pipe: {e}"));
            return 125;
        }
    };
    let (err_r, err_w) = match pipe() {
        Ok(p) => p,
        Err(e) => {
            report(&sync, &format!("err cannot create pipe: {e}"));
            return 125;
        }
    };
    // `-i` keeps the container's stdin open (a pipe whose write end stays
    // here), as docker does for `run -di`; otherwise /dev/null.
    let mut stdin_keep: Option<OwnedFd> = None;
    let stdin: OwnedFd = if cfg.open_stdin {
        match pipe() {
            Ok((r, w)) => {
                stdin_keep = Some(w);
                r
            }
            Err(_) => devnull(),
        }
    } else {
        devnull()
    };
    let stdio = if cfg.tty {
        drop((out_w, err_w, stdin));
        Stdio::Tty
    } else {
        Stdio::Fds {
            stdin,
            stdout: out_w,
            stderr: err_w,
        }
    };
    let launched = match launch::launch(layout, &cfg, stdio) {
        Ok(l) => l,
        Err(e) => {
            let code = RECORD.start_failed(layout, &cfg, &e);
            report(
                &sync,
                &format!("err {code} {}", crate::foreground::friendly(&e)),
            );
            return 125;
        }
    };
    let pid = launched.pid;
    RECORD.running(layout, &cfg, pid);
    report(&sync, &format!("ok {pid}"));
    drop(sync);

    let master = launched.pty_master;
    let (out_fd, err_fd) = match &master {
        Some(m) => (m.as_raw_fd(), -1),
        None => (out_r.as_raw_fd(), err_r.as_raw_fd()),
    };
    let sfd = sigfd.as_ref().map(|f| f.as_raw_fd()).unwrap_or(-1);
    let keep = stdin_keep.as_ref().map(|f| f.as_raw_fd()).unwrap_or(-1);
    // Start afresh for the long wait: libcontainer's code and heap are no
    // longer needed, and a new image keeps the monitor's RSS small. exec
    // keeps the pid, so the container's init stays our child; the fds and
    // the blocked signal mask survive too.
    let fds = [out_fd, err_fd, sfd, keep];
    for fd in fds.iter().filter(|f| **f >= 0) {
        // SAFETY: clearing FD_CLOEXEC on fds we own.
        unsafe { libc::fcntl(*fd, libc::F_SETFD, 0) };
    }
    // From the sealed binary this process already runs (crate::selfexe).
    let err = std::process::Command::new("/proc/self/exe")
        .arg0("skiff")
        .arg(crate::REEXEC_ARG)
        .arg("supervise")
        .arg(layout.root())
        .arg(id)
        .arg(format!("{pid},{out_fd},{err_fd},{sfd},{keep}"))
        .exec();
    // exec failed: supervise from this process instead.
    let _ = err;
    supervise(layout, id, pid, out_fd, err_fd, sfd)
}

/// Entry of the hidden `supervise` command: the monitor after its re-exec.
pub fn supervise_entry(layout: &Layout, id: &str, spec: &str) -> i32 {
    let v: Vec<i32> = spec.split(',').filter_map(|x| x.parse().ok()).collect();
    if v.len() != 5 {
        return 125;
    }
    supervise(layout, id, v[0], v[1], v[2], v[3])
}

/// Log the container's output until it exits, then record the exit and
/// tear down (or remove a `--rm` container).
fn supervise(layout: &Layout, id: &str, pid: i32, out_fd: i32, err_fd: i32, sfd: i32) -> i32 {
    let dir = layout.container(id);
    let cfg = match state::load_config(&dir) {
        Ok(c) => c,
        Err(_) => return 125,
    };
    let log_path = dir.join("ctr.log");
    let mut log = LogWriter::open_with(&log_path, &cfg.host.log);
    let mut sources: Vec<(i32, usize)> = vec![(out_fd, 0)];
    if err_fd >= 0 {
        sources.push((err_fd, 1));
    }
    shed_file_pages();
    let mut health = crate::health::Checker::new(layout, &cfg);
    let status = pump(
        pid,
        (sfd >= 0).then_some(sfd),
        &sources,
        &mut log,
        health.as_mut(),
    );
    let code = launch::exit_code(status);
    let container =
        libcontainer::container::Container::load(layout.libcontainer_root().join(id)).ok();
    let ended = launch::teardown(layout, &cfg, container, false);
    RECORD.exited(layout, &cfg, code, ended);
    crate::restart_policy::after_exit(layout, &cfg, code);
    0
}

/// Drop the file-backed pages startup touched (the dynamic loader's pass
/// over the relocation tables, fault-around of code pages) from this
/// process's resident set: the monitor idles in poll(2) for the whole life
/// of its container, and only the few pages of its loop come back.
fn shed_file_pages() {
    const MADV_PAGEOUT: libc::c_int = 21;
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    for line in maps.lines() {
        let mut f = line.split_whitespace();
        let (Some(range), Some(_perms), Some(_off), Some(_dev), Some(inode)) =
            (f.next(), f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        if inode == "0" {
            continue; // anonymous: heap, stack (no swap to page out to)
        }
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) else {
            continue;
        };
        // SAFETY: advice on our own mappings; PAGEOUT never changes contents.
        unsafe { libc::madvise(a as *mut libc::c_void, b - a, MADV_PAGEOUT) };
    }
}

/// Copy container output to the log until the process exits and the
/// outputs are drained, running the health check's probes on the way;
/// returns the wait status.
fn pump(
    pid: i32,
    sigfd: Option<i32>,
    sources: &[(i32, usize)],
    log: &mut LogWriter,
    mut health: Option<&mut crate::health::Checker>,
) -> i32 {
    let mut buf = [0u8; 16384];
    let mut open = [true; 2];
    let mut status: Option<i32> = None;
    loop {
        // Reap every child: the container's init, and health probes.
        while let Some((child, st)) = sig::reap_any() {
            if child == pid {
                status = Some(st);
            } else if let Some(h) = health.as_deref_mut() {
                h.reaped(child, st);
            }
        }
        if status.is_some() {
            health = None;
        }
        if let Some(h) = health.as_deref_mut() {
            h.tick();
        }
        let mut fds = [libc::pollfd {
            fd: -1,
            events: libc::POLLIN,
            revents: 0,
        }; 4];
        fds[0].fd = sigfd.unwrap_or(-1);
        for (i, (fd, _)) in sources.iter().enumerate() {
            fds[i + 1].fd = if open[i] { *fd } else { -1 };
        }
        fds[3].fd = health.as_deref().map(|h| h.fd()).unwrap_or(-1);
        let any_open = open.iter().take(sources.len()).any(|o| *o);
        if status.is_some() && !any_open {
            break;
        }
        // After exit, give stragglers (children holding the pipe) a moment
        // to be drained, but never hang on them.
        let timeout = if status.is_some() {
            100
        } else if sigfd.is_none() {
            200
        } else {
            -1
        };
        let timeout = match health.as_deref() {
            Some(h) if timeout < 0 => h.wait_ms(),
            Some(h) => timeout.min(h.wait_ms()),
            None => timeout,
        };
        // SAFETY: poll over our fixed array.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 4, timeout) };
        if n == 0 && status.is_some() {
            break;
        }
        if fds[0].revents != 0 {
            if let Some(fd) = sigfd {
                sig::drain(fd);
            }
        }
        if fds[3].revents != 0 {
            if let Some(h) = health.as_deref_mut() {
                h.read();
            }
        }
        for (i, (fd, stream)) in sources.iter().enumerate() {
            if fds[i + 1].revents == 0 {
                continue;
            }
            // SAFETY: read into our buffer.
            let r = unsafe { libc::read(*fd, buf.as_mut_ptr().cast(), buf.len()) };
            if r <= 0 {
                open[i] = false;
                log.flush_partial(*stream);
            } else {
                log.write(*stream, &buf[..r as usize]);
            }
        }
    }
    log.flush_partial(0);
    log.flush_partial(1);
    status.unwrap_or_else(|| {
        let mut st = 0;
        // SAFETY: waitpid on our child.
        unsafe { libc::waitpid(pid, &mut st, 0) };
        st
    })
}

fn report(sync: &OwnedFd, msg: &str) {
    let mut line = msg.replace('\n', " ");
    line.push('\n');
    crate::foreground::write_all(sync.as_raw_fd(), line.as_bytes());
}

fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two fds.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: freshly created fds we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn devnull() -> OwnedFd {
    match std::fs::File::open("/dev/null") {
        Ok(f) => OwnedFd::from(f),
        // No /dev/null on the host: an empty pipe whose writer is closed
        // reads as EOF just the same.
        Err(_) => match pipe() {
            Ok((r, _)) => r,
            // SAFETY: fd 0 of the monitor is /dev/null or closed; dup it.
            Err(_) => unsafe { OwnedFd::from_raw_fd(libc::dup(0)) },
        },
    }
}
