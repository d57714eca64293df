//! Signals: names as docker accepts them, and the blocked-mask + signalfd
//! setup the runtime processes use to wait for children and signals in one
//! poll loop without handlers.

use std::os::fd::{FromRawFd, OwnedFd};

/// Parse `SIGTERM`, `TERM`, `term` or `15`.
pub fn parse(s: &str) -> Option<i32> {
    let t = s.trim();
    if let Ok(n) = t.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let up = t.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    Some(match name {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "ILL" => libc::SIGILL,
        "TRAP" => libc::SIGTRAP,
        "ABRT" | "IOT" => libc::SIGABRT,
        "BUS" => libc::SIGBUS,
        "FPE" => libc::SIGFPE,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "SEGV" => libc::SIGSEGV,
        "USR2" => libc::SIGUSR2,
        "PIPE" => libc::SIGPIPE,
        "ALRM" => libc::SIGALRM,
        "TERM" => libc::SIGTERM,
        "STKFLT" => libc::SIGSTKFLT,
        "CHLD" => libc::SIGCHLD,
        "CONT" => libc::SIGCONT,
        "STOP" => libc::SIGSTOP,
        "TSTP" => libc::SIGTSTP,
        "TTIN" => libc::SIGTTIN,
        "TTOU" => libc::SIGTTOU,
        "URG" => libc::SIGURG,
        "XCPU" => libc::SIGXCPU,
        "XFSZ" => libc::SIGXFSZ,
        "VTALRM" => libc::SIGVTALRM,
        "PROF" => libc::SIGPROF,
        "WINCH" => libc::SIGWINCH,
        "IO" | "POLL" => libc::SIGIO,
        "PWR" => libc::SIGPWR,
        "SYS" => libc::SIGSYS,
        _ => {
            if let Some(n) = name.strip_prefix("RTMIN+") {
                return n.parse::<i32>().ok().map(|n| libc::SIGRTMIN() + n);
            }
            return None;
        }
    })
}

/// Signals the foreground runner forwards to the container (docker's
/// sig-proxy forwards everything it can catch).
pub const FORWARDED: &[i32] = &[
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGCONT,
    libc::SIGTSTP,
    libc::SIGWINCH,
];

/// Block `signals` plus SIGCHLD and return a signalfd reading them. The
/// executor clears the mask again in the container before execve.
pub fn block_to_fd(signals: &[i32]) -> Option<OwnedFd> {
    // SAFETY: sigset manipulation and signalfd on a zeroed set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        for s in signals {
            libc::sigaddset(&mut set, *s);
        }
        libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        let fd = libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK);
        (fd >= 0).then(|| OwnedFd::from_raw_fd(fd))
    }
}

/// Block every catchable signal (the detached monitor must not die of a
/// terminal hangup or a stray SIGTERM) and return a signalfd for SIGCHLD.
pub fn block_all_chld_fd() -> Option<OwnedFd> {
    // SAFETY: as above.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::sigprocmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        let fd = libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK);
        (fd >= 0).then(|| OwnedFd::from_raw_fd(fd))
    }
}

/// Clear the signal mask (in the container, before execve).
pub fn unblock_all() {
    // SAFETY: empty set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

/// Every catchable signal back to its default action.
pub fn reset_dispositions() {
    for s in 1..libc::SIGRTMAX() {
        if s == libc::SIGKILL || s == libc::SIGSTOP {
            continue;
        }
        // SAFETY: setting SIG_DFL is always valid.
        unsafe { libc::signal(s, libc::SIG_DFL) };
    }
}

/// Read all pending signals from a signalfd.
pub fn drain(fd: i32) -> Vec<i32> {
    let mut out = Vec::new();
    loop {
        // SAFETY: reading a signalfd_siginfo-sized buffer.
        let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
        let n = unsafe {
            libc::read(
                fd,
                (&mut info as *mut libc::signalfd_siginfo).cast(),
                std::mem::size_of::<libc::signalfd_siginfo>(),
            )
        };
        if n <= 0 {
            return out;
        }
        out.push(info.ssi_signo as i32);
    }
}

/// Reap exited children; returns the status of `pid` if it was among them.
/// Reap one exited child, any: its pid and wait status.
pub fn reap_any() -> Option<(i32, i32)> {
    let mut status = 0;
    // SAFETY: waitpid with a valid status pointer.
    let r = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    (r > 0).then_some((r, status))
}

pub fn reap(pid: i32) -> Option<i32> {
    let mut found = None;
    while let Some((child, status)) = reap_any() {
        if child == pid {
            found = Some(status);
        }
    }
    found
}

/// Send `sig` to `pid`; false if it is gone.
pub fn send(pid: i32, sig: i32) -> bool {
    // SAFETY: kill(2).
    pid > 0 && unsafe { libc::kill(pid, sig) } == 0
}
