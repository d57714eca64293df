//! Terminals: the console socket through which libcontainer hands over the
//! container's pty master, raw mode for the user's terminal, window sizes.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use crate::error::{errno, io, io_at, Error, Result};

/// A listening console socket in `dir`.
pub struct ConsoleSocket {
    listener: UnixListener,
    pub path: PathBuf,
}

impl ConsoleSocket {
    /// Bind `<dir>/<name>`. Bound through a relative path after a chdir:
    /// store paths easily exceed the 108-byte limit of socket addresses.
    /// (Runtime processes are single threaded, so the chdir is safe.)
    pub fn bind(dir: &Path, name: &str) -> Result<ConsoleSocket> {
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        let prev = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        std::env::set_current_dir(dir).map_err(|e| io_at("cannot enter", dir, e))?;
        let res = UnixListener::bind(name);
        let _ = std::env::set_current_dir(prev);
        let listener = res.map_err(|e| io_at("cannot bind console socket", &path, e))?;
        Ok(ConsoleSocket { listener, path })
    }

    /// Accept libcontainer's connection and receive the pty master.
    pub fn receive_master(&self) -> Result<OwnedFd> {
        use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
        let (stream, _) = self
            .listener
            .accept()
            .map_err(|e| io("cannot accept on the console socket", e))?;
        let mut buf = [0u8; 256];
        let mut iov = [std::io::IoSliceMut::new(&mut buf)];
        let mut space = nix::cmsg_space!([RawFd; 1]);
        let msg = recvmsg::<()>(
            stream.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::empty(),
        )
        .map_err(|e| errno("cannot receive the pty master", e))?;
        for c in msg
            .cmsgs()
            .map_err(|e| errno("cannot read control message", e))?
        {
            if let ControlMessageOwned::ScmRights(fds) = c {
                if let Some(fd) = fds.first() {
                    // SAFETY: the kernel just installed this fd for us.
                    return Ok(unsafe { OwnedFd::from_raw_fd(*fd) });
                }
            }
        }
        Err(Error::Runtime(
            "the console socket carried no pty master".into(),
        ))
    }
}

impl Drop for ConsoleSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The user's terminal in raw mode until dropped.
pub struct RawMode {
    fd: RawFd,
    saved: libc::termios,
}

impl RawMode {
    pub fn enter(fd: RawFd) -> Option<RawMode> {
        // SAFETY: termios calls on an fd we were given; struct zeroed then filled.
        unsafe {
            if libc::isatty(fd) != 1 {
                return None;
            }
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut t) != 0 {
                return None;
            }
            let saved = t;
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(fd, libc::TCSANOW, &t);
            Some(RawMode { fd, saved })
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restoring the attributes we read.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved);
        }
    }
}

/// Copy the window size of `from` (the user's terminal) to `to` (the pty).
pub fn copy_winsize(from: RawFd, to: RawFd) {
    // SAFETY: TIOCGWINSZ/TIOCSWINSZ with a winsize struct.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(from, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_row > 0 {
            libc::ioctl(to, libc::TIOCSWINSZ, &ws);
        }
    }
}

/// In a forked child that outlives or runs beside the foreground runner:
/// a session of its own (the terminal's ^C is not for it) and /dev/null
/// for stdio, so a shell capturing the run's output sees EOF when the
/// runner exits, not when the child does.
pub fn leave_callers_terminal() {
    // SAFETY: setsid and dup2 onto fds 0-2 in a forked child.
    unsafe {
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
        }
    }
}
