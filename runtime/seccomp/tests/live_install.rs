//! Installs real filters in forked children of the test process and checks
//! what the kernel then allows. x86_64 host only (ARM programs are checked
//! through the interpreter in the other tests).
#![cfg(target_arch = "x86_64")]

mod common;

use skiff_seccomp::{
    install, set_no_new_privs, Arch, CompileOptions, KernelVersion, Profile, Program,
};

/// Results the child reports: a syscall's return value, or -errno.
struct Report {
    fd: i32,
}

impl Report {
    /// Records the outcome of a raw syscall. No allocation: safe after fork.
    fn sys(&self, rc: libc::c_long) {
        let v: i64 = if rc == -1 {
            -(std::io::Error::last_os_error().raw_os_error().unwrap_or(0) as i64)
        } else {
            rc
        };
        self.put(v);
    }

    fn put(&self, v: i64) {
        let b = v.to_ne_bytes();
        // SAFETY: writing a stack buffer to our pipe.
        unsafe { libc::write(self.fd, b.as_ptr().cast(), b.len()) };
    }
}

/// How the child ended, and what it reported.
struct Outcome {
    results: Vec<i64>,
    status: i32,
}

impl Outcome {
    fn exited_ok(&self) -> bool {
        libc::WIFEXITED(self.status) && libc::WEXITSTATUS(self.status) == 0
    }
    fn killed_by(&self) -> Option<i32> {
        libc::WIFSIGNALED(self.status).then(|| libc::WTERMSIG(self.status))
    }
}

/// Forks; the child runs `f` (which must not allocate: the test harness has
/// other threads) and exits 0. The program is compiled by the caller, before
/// the fork.
fn in_child(f: impl FnOnce(&Report)) -> Outcome {
    let mut fds = [0i32; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        unsafe { libc::close(fds[0]) };
        f(&Report { fd: fds[1] });
        unsafe { libc::_exit(0) };
    }
    unsafe { libc::close(fds[1]) };
    let mut bytes = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let n = unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n as usize]);
    }
    unsafe { libc::close(fds[0]) };
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    let results = bytes
        .chunks_exact(8)
        .map(|c| i64::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    Outcome { results, status }
}

fn docker_default(caps: &[&str]) -> Program {
    Profile::docker_default()
        .compile(&CompileOptions {
            arch: Arch::X86_64,
            capabilities: caps,
            kernel: Some(KernelVersion::running().unwrap()),
        })
        .unwrap()
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

const EPERM: i64 = -(libc::EPERM as i64);
const ENOSYS: i64 = -(libc::ENOSYS as i64);
const ENODEV: i64 = -(libc::ENODEV as i64);

/// The probes both docker-default tests run, in this order.
fn probes(r: &Report) {
    unsafe {
        r.sys(libc::syscall(
            libc::SYS_keyctl,
            0, /* GET_KEYRING_ID */
            -3,
            0,
        ));
        // A mount the kernel would refuse with ENODEV once past the filter:
        // nothing on the host can change.
        let (src, dst, fs) = (c"none", c"/", c"skiff-no-such-fs");
        r.sys(libc::syscall(
            libc::SYS_mount,
            src.as_ptr(),
            dst.as_ptr(),
            fs.as_ptr(),
            0,
            0,
        ));
        // After mount: a new user namespace loses CAP_SYS_ADMIN over our mounts.
        r.sys(libc::syscall(libc::SYS_unshare, libc::CLONE_NEWUSER));
        r.sys(libc::syscall(libc::SYS_getpid));
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        r.sys(libc::syscall(libc::SYS_write, null, [0u8; 8].as_ptr(), 8));
    }
}

#[test]
fn docker_default_without_sys_admin_denies_namespaces_keys_and_mounts() {
    let program = docker_default(&["CAP_CHOWN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL"]);
    let out = in_child(|r| {
        // docker sets no_new_privs only on request; root does not need it.
        if let Err(e) = install(&program) {
            r.put(-1000 - e.errno().unwrap_or(0) as i64);
            return;
        }
        probes(r);
        // clone's argument filter: a plain fork passes, a new user ns not.
        unsafe {
            let rc = libc::syscall(libc::SYS_clone, libc::SIGCHLD, 0, 0, 0, 0);
            if rc == 0 {
                libc::_exit(0);
            }
            r.sys(if rc > 0 { 1 } else { rc });
            if rc > 0 {
                libc::waitpid(rc as i32, std::ptr::null_mut(), 0);
            }
            r.sys(libc::syscall(
                libc::SYS_clone,
                libc::CLONE_NEWUSER | libc::SIGCHLD,
                0,
                0,
                0,
                0,
            ));
            // clone3 is refused with ENOSYS so libcs fall back to clone.
            r.sys(libc::syscall(libc::SYS_clone3, 0, 0));
            // personality: docker's query value and PER_LINUX32 pass, others not.
            r.sys(libc::syscall(libc::SYS_personality, 0xffff_ffffu64));
            r.sys(libc::syscall(libc::SYS_personality, 0x0040_0000u64)); // READ_IMPLIES_EXEC
                                                                         // socket: AF_VSOCK (40) is denied by docker's profile.
            r.sys(libc::syscall(libc::SYS_socket, 40, libc::SOCK_STREAM, 0));
            let fd = libc::syscall(libc::SYS_socket, libc::AF_UNIX, libc::SOCK_STREAM, 0);
            r.sys(if fd >= 0 { 1 } else { fd });
        }
    });
    assert!(out.exited_ok(), "child status {:#x}", out.status);
    let r = &out.results;
    assert_eq!(r.len(), 12, "child reported {r:?}");
    assert_eq!(r[0], EPERM, "keyctl");
    assert_eq!(r[1], EPERM, "mount");
    assert_eq!(r[2], EPERM, "unshare(CLONE_NEWUSER)");
    assert!(r[3] > 0, "getpid: {}", r[3]);
    assert_eq!(r[4], 8, "write");
    assert_eq!(r[5], 1, "clone(SIGCHLD)");
    assert_eq!(r[6], EPERM, "clone(CLONE_NEWUSER)");
    assert_eq!(r[7], ENOSYS, "clone3");
    assert!(r[8] >= 0, "personality(0xffffffff): {}", r[8]);
    assert_eq!(r[9], EPERM, "personality(READ_IMPLIES_EXEC)");
    assert_eq!(r[10], EPERM, "socket(AF_VSOCK)");
    assert_eq!(r[11], 1, "socket(AF_UNIX)");
}

#[test]
fn docker_default_with_sys_admin_lets_mount_and_unshare_through() {
    assert!(
        is_root(),
        "this test needs root (CAP_SYS_ADMIN) to see past the filter"
    );
    let program = docker_default(&["CAP_SYS_ADMIN", "CAP_CHOWN"]);
    let out = in_child(|r| {
        if let Err(e) = install(&program) {
            r.put(-1000 - e.errno().unwrap_or(0) as i64);
            return;
        }
        probes(r);
    });
    assert!(out.exited_ok(), "child status {:#x}", out.status);
    let r = &out.results;
    assert_eq!(r.len(), 5, "child reported {r:?}");
    assert_eq!(r[0], EPERM, "keyctl still denied");
    assert_eq!(r[1], ENODEV, "mount reaches the kernel (unknown fs type)");
    assert_eq!(r[2], 0, "unshare(CLONE_NEWUSER) allowed");
    assert!(r[3] > 0);
    assert_eq!(r[4], 8);
}

#[test]
fn hand_written_profile_errno_kill_trap_and_64_bit_args() {
    let profile = Profile::from_json(
        br#"{
          "defaultAction": "SCMP_ACT_ALLOW",
          "syscalls": [
            {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42},
            {"names": ["lseek"], "action": "SCMP_ACT_ERRNO", "errnoRet": 7,
             "args": [{"index": 1, "value": 4294967301, "op": "SCMP_CMP_EQ"}]},
            {"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 9,
             "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_GE"}]},
            {"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS"},
            {"names": ["sethostname"], "action": "SCMP_ACT_TRAP"}
          ]
        }"#,
    )
    .unwrap();
    let program = profile
        .compile(&CompileOptions::new(Arch::X86_64, &[]))
        .unwrap();

    let out = in_child(|r| {
        if let Err(e) = set_no_new_privs().and_then(|()| install(&program)) {
            r.put(-1000 - e.errno().unwrap_or(0) as i64);
            return;
        }
        unsafe {
            r.sys(libc::syscall(libc::SYS_getppid));
            // lseek(fd, 0x1_0000_0005): the high word matters.
            r.sys(libc::syscall(
                libc::SYS_lseek,
                r.fd,
                0x1_0000_0005u64,
                libc::SEEK_SET,
            ));
            // lseek(fd, 5): allowed, fails on a pipe with ESPIPE.
            r.sys(libc::syscall(libc::SYS_lseek, r.fd, 5u64, libc::SEEK_SET));
            r.sys(libc::syscall(
                libc::SYS_getpriority,
                0, /* PRIO_PROCESS */
                0,
            ));
            r.sys(libc::syscall(
                libc::SYS_getpriority,
                1, /* PRIO_PGRP */
                0,
            ));
            let mut uts: libc::utsname = std::mem::zeroed();
            libc::syscall(libc::SYS_uname, &mut uts);
            r.put(12345); // never reached
        }
    });
    assert_eq!(out.killed_by(), Some(libc::SIGSYS), "uname must kill");
    let r = &out.results;
    assert_eq!(r.len(), 5, "child reported {r:?}");
    assert_eq!(r[0], -42, "getppid → errnoRet 42");
    assert_eq!(r[1], -7, "lseek with the 64-bit value");
    assert_eq!(r[2], -(libc::ESPIPE as i64), "lseek(5) reached the kernel");
    assert!(r[3] >= 0, "getpriority(PRIO_PROCESS) allowed: {}", r[3]);
    assert_eq!(r[4], -9, "getpriority(PRIO_PGRP) matches GE 1");

    let out = in_child(|r| {
        if set_no_new_privs().and_then(|()| install(&program)).is_err() {
            return;
        }
        r.put(1);
        unsafe { libc::syscall(libc::SYS_sethostname, c"x".as_ptr(), 1) };
        r.put(12345); // never reached: SIGSYS's default action kills
    });
    assert_eq!(out.results, vec![1]);
    assert_eq!(
        out.killed_by(),
        Some(libc::SIGSYS),
        "trap must raise SIGSYS"
    );
}

#[test]
fn install_without_privilege_needs_no_new_privs() {
    assert!(is_root(), "this test needs root to drop to nobody");
    let program = docker_default(&[]);
    let out = in_child(|r| unsafe {
        // nobody has no capabilities: the kernel demands no_new_privs.
        if libc::setgid(65534) != 0 || libc::setuid(65534) != 0 {
            return;
        }
        r.put(
            install(&program)
                .err()
                .and_then(|e| e.errno())
                .map_or(0, i64::from),
        );
        r.put(set_no_new_privs().map_or(-1, |()| 0));
        r.put(install(&program).map_or(-1, |()| 0));
        r.sys(libc::syscall(libc::SYS_unshare, libc::CLONE_NEWUSER));
    });
    assert!(out.exited_ok());
    assert_eq!(out.results, vec![libc::EACCES as i64, 0, 0, EPERM]);
}

/// An i386 syscall from this 64-bit process (`int 0x80`): the kernel runs it
/// with the i386 table and seccomp sees AUDIT_ARCH_I386. Returns -errno.
unsafe fn int80(nr: u32, a: u32, b: u32, c: u32) -> i64 {
    let ret: u64;
    // rbx cannot be an asm operand on x86_64: swap it in and out. The compat
    // entry restores r8-r11 as zero, so they are clobbered.
    std::arch::asm!(
        "xchg {a}, rbx",
        "int 0x80",
        "xchg {a}, rbx",
        a = inout(reg) u64::from(a) => _,
        inlateout("rax") u64::from(nr) => ret,
        in("rcx") u64::from(b),
        in("rdx") u64::from(c),
        out("r8") _, out("r9") _, out("r10") _, out("r11") _,
    );
    i64::from(ret as u32 as i32)
}

const I386_GETPID: u32 = 20;
const I386_MOUNT: u32 = 21;
const I386_PERSONALITY: u32 = 136;
const I386_SOCKET: u32 = 359;
const X32_BIT: libc::c_long = 0x4000_0000;

fn ia32_emulation() -> bool {
    // Probe in a child: without IA32 emulation, int 0x80 faults.
    let out = in_child(|r| r.put(unsafe { int80(I386_GETPID, 0, 0, 0) }));
    out.exited_ok() && out.results.first().is_some_and(|&pid| pid > 0)
}

#[test]
fn i386_and_x32_syscalls_meet_their_own_rules() {
    assert!(
        ia32_emulation(),
        "this kernel runs no i386 syscalls (CONFIG_IA32_EMULATION)"
    );
    let program = docker_default(&["CAP_SYS_ADMIN"]);
    let denied = docker_default(&[]);
    let out = in_child(|r| unsafe {
        if install(&denied).is_err() {
            return;
        }
        r.put(int80(I386_GETPID, 0, 0, 0));
        r.put(int80(I386_MOUNT, 0, 0, 0));
        // 32-bit argument checks (the code path 32-bit ARM uses too):
        // personality and socket as docker's rules allow them.
        r.put(int80(I386_PERSONALITY, 0xffff_ffff, 0, 0));
        r.put(int80(I386_PERSONALITY, 0x0040_0000, 0, 0));
        r.put(int80(I386_SOCKET, 40, 1, 0));
        r.put(int80(I386_SOCKET, 1, 1, 0).min(1));
        // x32: this kernel has no x32 ABI, so a syscall the filter lets
        // through fails with ENOSYS, one it denies with EPERM.
        r.sys(libc::syscall(X32_BIT | libc::SYS_getpid));
        r.sys(libc::syscall(X32_BIT | libc::SYS_mount));
    });
    assert!(out.exited_ok(), "child status {:#x}", out.status);
    let r = &out.results;
    assert_eq!(r.len(), 8, "{r:?}");
    assert!(r[0] > 0, "i386 getpid allowed: {}", r[0]);
    assert_eq!(r[1], EPERM, "i386 mount denied by the i386 rules");
    assert!(r[2] >= 0, "i386 personality(0xffffffff) allowed: {}", r[2]);
    assert_eq!(r[3], EPERM, "i386 personality(READ_IMPLIES_EXEC) denied");
    assert_eq!(r[4], EPERM, "i386 socket(AF_VSOCK) denied");
    assert_eq!(r[5], 1, "i386 socket(AF_UNIX) allowed");
    assert_eq!(r[6], ENOSYS, "x32 getpid passes the filter");
    assert_eq!(r[7], EPERM, "x32 mount denied by the x32 rules");

    // With CAP_SYS_ADMIN the i386 mount reaches the kernel (EFAULT: NULL).
    let out = in_child(|r| unsafe {
        if install(&program).is_ok() {
            r.put(int80(I386_MOUNT, 0, 0, 0));
        }
    });
    assert_eq!(out.results, vec![-(libc::EFAULT as i64)]);
}

#[test]
fn abis_a_profile_does_not_cover_are_killed() {
    assert!(
        ia32_emulation(),
        "this kernel runs no i386 syscalls (CONFIG_IA32_EMULATION)"
    );
    // A deny-list for x86_64 only: other ABIs must not inherit its ALLOW.
    let program = common::x86_64_all_but_mount();
    let i386 = in_child(|r| unsafe {
        if install(&program).is_ok() {
            r.sys(libc::syscall(libc::SYS_getpid).min(1));
            r.put(int80(I386_GETPID, 0, 0, 0));
        }
    });
    assert_eq!(
        i386.results,
        vec![1],
        "native getpid ran, the i386 one did not return"
    );
    assert_eq!(i386.killed_by(), Some(libc::SIGSYS));
    let x32 = in_child(|r| unsafe {
        if install(&program).is_ok() {
            r.put(1);
            r.sys(libc::syscall(X32_BIT | libc::SYS_getpid));
        }
    });
    assert_eq!(x32.results, vec![1]);
    assert_eq!(
        x32.killed_by(),
        Some(libc::SIGSYS),
        "x32 must not bypass the filter"
    );
}
