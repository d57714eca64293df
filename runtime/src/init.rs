//! `--init`: a tiny PID 1 in the container (docker ships tini for this).
//! skiff needs no binary inside the image: the container's init process is
//! already running skiff's code, so it forks the workload and stays behind
//! as PID 1, forwarding signals to it and reaping orphaned zombies. It exits
//! with the workload's status once the workload exits.

use std::ffi::CString;

extern "C" fn noop(_: libc::c_int) {}

pub fn run_as_init(args: &[CString]) -> ! {
    // SAFETY: single-threaded process; sigset/fork/waitpid/kill are plain
    // syscalls and the child only resets its mask before exec.
    unsafe {
        // The kernel drops signals sent to a PID namespace's init from
        // outside when their action is the default one, even blocked ones:
        // a (never run) handler makes them pending so sigwait sees them.
        // execve resets handled signals to default in the workload.
        for s in 1..32 {
            if s != libc::SIGKILL && s != libc::SIGSTOP {
                libc::signal(s, noop as *const () as libc::sighandler_t);
            }
        }
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigprocmask(libc::SIG_SETMASK, &all, &mut old);
        let child = libc::fork();
        if child < 0 {
            libc::_exit(125);
        }
        if child == 0 {
            libc::sigprocmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
            crate::executor::exec_or_exit(args);
        }
        // This process never execs, so descriptors libcontainer merely
        // marked close-on-exec (the monitor's pipes, the CLI's sync pipe)
        // would stay open here for the container's lifetime.
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
        loop {
            let mut sig: libc::c_int = 0;
            if libc::sigwait(&all, &mut sig) != 0 {
                continue;
            }
            if sig == libc::SIGCHLD {
                loop {
                    let mut status = 0;
                    let pid = libc::waitpid(-1, &mut status, libc::WNOHANG);
                    if pid <= 0 {
                        break;
                    }
                    if pid == child {
                        let code = if libc::WIFEXITED(status) {
                            libc::WEXITSTATUS(status)
                        } else {
                            128 + libc::WTERMSIG(status)
                        };
                        libc::_exit(code);
                    }
                }
            } else {
                libc::kill(child, sig);
            }
        }
    }
}
