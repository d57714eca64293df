//! Installing a compiled filter in the calling thread.
//!
//! Meant to run in a freshly forked, single-threaded child right before
//! execve: nothing here allocates, and errors carry only an errno.

use crate::error::Error;
use crate::program::Program;

/// seccomp(2) filter flags a profile may name in `flags`.
pub(crate) fn flag_value(name: &str) -> Option<u32> {
    let flag = match name {
        "SECCOMP_FILTER_FLAG_TSYNC" => libc::SECCOMP_FILTER_FLAG_TSYNC,
        "SECCOMP_FILTER_FLAG_LOG" => libc::SECCOMP_FILTER_FLAG_LOG,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => libc::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
        _ => return None,
    };
    // The flags are the low bits (1 << 0 ..= 1 << 5) of an unsigned long.
    Some(flag as u32)
}

// Insn must be exactly the kernel's struct sock_filter.
const _: () = assert!(std::mem::size_of::<crate::bpf::Insn>() == 8);
const _: () = assert!(std::mem::size_of::<libc::sock_filter>() == 8);

/// Sets `no_new_privs` on the calling thread (inherited across fork and
/// execve). docker sets it only for `--security-opt no-new-privileges`; an
/// unprivileged process needs it before [`install`].
pub fn set_no_new_privs() -> Result<(), Error> {
    // SAFETY: plain prctl with integer arguments.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if rc != 0 {
        return Err(Error::Install {
            call: "prctl(PR_SET_NO_NEW_PRIVS)",
            errno: last_errno(),
        });
    }
    Ok(())
}

/// Installs `program` on the calling thread (and its future children).
///
/// Uses seccomp(2) with the profile's flags; on kernels without seccomp(2)
/// (before 3.17) falls back to prctl(PR_SET_SECCOMP) when no flags are
/// needed. The kernel requires `no_new_privs` or CAP_SYS_ADMIN (else EACCES).
/// Other threads of the process are not filtered (no TSYNC unless the
/// profile asks for it): call it where only one thread exists.
pub fn install(program: &Program) -> Result<(), Error> {
    let insns = program.instructions();
    let prog = libc::sock_fprog {
        len: insns.len() as libc::c_ushort,
        // The kernel only reads through this pointer.
        filter: insns.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: prog points to a valid, live program for the call's duration.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            // Variadic: pass the full unsigned long the kernel reads.
            libc::SECCOMP_SET_MODE_FILTER as libc::c_ulong,
            program.flags() as libc::c_ulong,
            &prog as *const libc::sock_fprog,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let errno = last_errno();
    if errno != libc::ENOSYS || program.flags() != 0 {
        return Err(Error::Install {
            call: "seccomp(SECCOMP_SET_MODE_FILTER)",
            errno,
        });
    }
    // SAFETY: as above.
    let rc = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            &prog as *const libc::sock_fprog,
            0,
            0,
        )
    };
    if rc != 0 {
        return Err(Error::Install {
            call: "prctl(PR_SET_SECCOMP)",
            errno: last_errno(),
        });
    }
    Ok(())
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
