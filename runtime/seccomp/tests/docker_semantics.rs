//! docker's default profile, compiled for each arch, allows and denies what
//! docker's does (checked through the BPF interpreter, so it runs for ARM
//! programs on an x86_64 host).

mod common;

use libc::{SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS};
use skiff_seccomp::arch::{AUDIT_ARCH_ARM, AUDIT_ARCH_X86_64};
use skiff_seccomp::{Abi, Arch, CompileOptions, KernelVersion, Profile, Program, SeccompData};

const EPERM: u32 = SECCOMP_RET_ERRNO | 1;
const ENOSYS: u32 = SECCOMP_RET_ERRNO | 38;
const CLONE_NEWUSER: u64 = 0x1000_0000;
const CLONE_NEWNS: u64 = 0x0002_0000;
const SIGCHLD: u64 = 17;

fn compile(arch: Arch, caps: &[&str]) -> Program {
    let opts = CompileOptions {
        arch,
        capabilities: caps,
        kernel: Some(KernelVersion::new(6, 1)),
    };
    Profile::docker_default().compile(&opts).unwrap()
}

fn eval(p: &Program, abi: Abi, name: &str, args: &[u64]) -> u32 {
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    p.evaluate_syscall(abi, name, a)
        .unwrap_or_else(|| panic!("{abi:?} has no syscall {name}"))
}

#[test]
fn default_caps_deny_namespaces_keys_and_mounts_on_every_abi() {
    for arch in [Arch::X86_64, Arch::Aarch64, Arch::Arm] {
        let p = compile(arch, &["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]);
        for &abi in p.abis() {
            let e = |name: &str, args: &[u64]| eval(&p, abi, name, args);
            assert_eq!(e("unshare", &[CLONE_NEWUSER]), EPERM, "{abi:?}");
            assert_eq!(e("keyctl", &[]), EPERM, "{abi:?}");
            assert_eq!(e("add_key", &[]), EPERM, "{abi:?}");
            assert_eq!(e("mount", &[]), EPERM, "{abi:?}");
            assert_eq!(e("umount2", &[]), EPERM, "{abi:?}");
            assert_eq!(e("pivot_root", &[]), EPERM, "{abi:?}");
            assert_eq!(e("setns", &[]), EPERM, "{abi:?}");
            assert_eq!(e("bpf", &[]), EPERM, "{abi:?}");
            assert_eq!(e("reboot", &[]), EPERM, "{abi:?}");
            assert_eq!(e("init_module", &[]), EPERM, "{abi:?}");
            assert_eq!(e("getpid", &[]), SECCOMP_RET_ALLOW, "{abi:?}");
            assert_eq!(e("write", &[]), SECCOMP_RET_ALLOW, "{abi:?}");
            assert_eq!(e("execve", &[]), SECCOMP_RET_ALLOW, "{abi:?}");
            assert_eq!(e("openat", &[]), SECCOMP_RET_ALLOW, "{abi:?}");
            assert_eq!(e("exit_group", &[]), SECCOMP_RET_ALLOW, "{abi:?}");
            // clone: allowed unless it asks for a namespace.
            assert_eq!(e("clone", &[SIGCHLD]), SECCOMP_RET_ALLOW, "{abi:?}");
            assert_eq!(e("clone", &[CLONE_NEWUSER | SIGCHLD]), EPERM, "{abi:?}");
            assert_eq!(e("clone", &[CLONE_NEWNS]), EPERM, "{abi:?}");
            // clone3 cannot be inspected: ENOSYS makes libcs fall back to clone.
            assert_eq!(e("clone3", &[]), ENOSYS, "{abi:?}");
            // personality: only docker's five values.
            for ok in [0, 8, 0x20000, 0x20008, 0xffff_ffff] {
                assert_eq!(
                    e("personality", &[ok]),
                    SECCOMP_RET_ALLOW,
                    "{abi:?} {ok:#x}"
                );
            }
            for bad in [1, 0x0040_0000, 0x0800_0000] {
                assert_eq!(e("personality", &[bad]), EPERM, "{abi:?} {bad:#x}");
            }
            // socket: every family but AF_VSOCK (40).
            for (family, want) in [
                (1, SECCOMP_RET_ALLOW),
                (2, SECCOMP_RET_ALLOW),
                (10, SECCOMP_RET_ALLOW),
                (16, SECCOMP_RET_ALLOW),
            ] {
                assert_eq!(e("socket", &[family]), want, "{abi:?}");
            }
            assert_eq!(e("socket", &[40]), EPERM, "{abi:?}");
            assert_eq!(e("socket", &[39]), SECCOMP_RET_ALLOW, "{abi:?}");
            assert_eq!(e("socket", &[41]), SECCOMP_RET_ALLOW, "{abi:?}");
            // ptrace: minKernel 4.8 on a 6.1 kernel.
            assert_eq!(e("ptrace", &[]), SECCOMP_RET_ALLOW, "{abi:?}");
        }
    }
}

#[test]
fn wide_arguments_are_compared_on_64_bits_where_the_abi_has_them() {
    let p = compile(Arch::X86_64, &[]);
    // personality(0x1_0000_0008) is not personality(8) for a 64-bit process.
    assert_eq!(
        eval(&p, Abi::X86_64, "personality", &[(1 << 32) | 8]),
        EPERM
    );
    assert_eq!(
        eval(&p, Abi::X86_64, "socket", &[(1 << 32) | 2]),
        SECCOMP_RET_ALLOW
    );
    assert_eq!(
        eval(&p, Abi::X86_64, "socket", &[(1 << 32) | 40]),
        SECCOMP_RET_ALLOW
    );
    // clone flags in the high word are not namespace flags.
    assert_eq!(
        eval(&p, Abi::X86_64, "clone", &[(1 << 40) | SIGCHLD]),
        SECCOMP_RET_ALLOW
    );
}

#[test]
fn sys_admin_unlocks_namespaces_and_mounts_as_privileged_does() {
    for arch in [Arch::X86_64, Arch::Aarch64, Arch::Arm] {
        let p = compile(arch, &["CAP_SYS_ADMIN"]);
        for &abi in p.abis() {
            let e = |name: &str, args: &[u64]| eval(&p, abi, name, args);
            assert_eq!(e("mount", &[]), SECCOMP_RET_ALLOW, "{abi:?}");
            assert_eq!(e("umount2", &[]), SECCOMP_RET_ALLOW, "{abi:?}");
            assert_eq!(e("unshare", &[CLONE_NEWUSER]), SECCOMP_RET_ALLOW, "{abi:?}");
            assert_eq!(e("setns", &[]), SECCOMP_RET_ALLOW, "{abi:?}");
            assert_eq!(
                e("clone", &[CLONE_NEWUSER | SIGCHLD]),
                SECCOMP_RET_ALLOW,
                "{abi:?}"
            );
            assert_eq!(e("clone3", &[]), SECCOMP_RET_ALLOW, "{abi:?}");
            assert_eq!(e("bpf", &[]), SECCOMP_RET_ALLOW, "{abi:?}");
            // Still denied: other capabilities' syscalls.
            assert_eq!(e("reboot", &[]), EPERM, "{abi:?}");
            assert_eq!(e("init_module", &[]), EPERM, "{abi:?}");
            // Keys are not namespaced: docker's profile never allows them.
            assert_eq!(e("keyctl", &[]), EPERM, "{abi:?}");
        }
    }
    // Capability names are accepted without the prefix and in any case.
    let p = compile(Arch::X86_64, &["sys_admin"]);
    assert_eq!(eval(&p, Abi::X86_64, "mount", &[]), SECCOMP_RET_ALLOW);
    let p = compile(Arch::X86_64, &["CAP_SYS_BOOT", "CAP_SYS_MODULE"]);
    assert_eq!(eval(&p, Abi::X86_64, "reboot", &[]), SECCOMP_RET_ALLOW);
    assert_eq!(
        eval(&p, Abi::X86_64, "finit_module", &[]),
        SECCOMP_RET_ALLOW
    );
    assert_eq!(eval(&p, Abi::X86_64, "mount", &[]), EPERM);
}

#[test]
fn arch_specific_rules_follow_the_native_arch() {
    let x86 = compile(Arch::X86_64, &[]);
    assert_eq!(
        eval(&x86, Abi::X86_64, "arch_prctl", &[]),
        SECCOMP_RET_ALLOW
    );
    assert_eq!(
        eval(&x86, Abi::X86_64, "modify_ldt", &[]),
        SECCOMP_RET_ALLOW
    );
    // i386 processes on x86_64: covered through docker's archMap.
    assert_eq!(eval(&x86, Abi::X86, "socketcall", &[]), SECCOMP_RET_ALLOW);
    assert_eq!(eval(&x86, Abi::X86, "modify_ldt", &[]), SECCOMP_RET_ALLOW);
    assert_eq!(eval(&x86, Abi::X86, "mount", &[]), EPERM);

    for arch in [Arch::Aarch64, Arch::Arm] {
        let p = compile(arch, &[]);
        // ARM-only syscalls docker's profile allows.
        for name in [
            "set_tls",
            "cacheflush",
            "breakpoint",
            "arm_fadvise64_64",
            "sync_file_range2",
        ] {
            let ret = eval(&p, Abi::Arm, name, &[]);
            assert_eq!(ret, SECCOMP_RET_ALLOW, "{arch:?} {name}");
        }
        // ARM's own syscall numbers mean other things on x86: mount is 21
        // on arm but access on x86_64.
        assert_eq!(eval(&p, Abi::Arm, "mount", &[]), EPERM, "{arch:?}");
        assert_eq!(Abi::Arm.syscall_number("mount"), Some(21));
        // modify_ldt is x86 only.
        assert_eq!(Abi::Arm.syscall_number("modify_ldt"), None);
    }
    let a64 = compile(Arch::Aarch64, &[]);
    assert_eq!(a64.abis(), &[Abi::Aarch64, Abi::Arm]);
    assert_eq!(eval(&a64, Abi::Aarch64, "mount", &[]), EPERM);
    assert_eq!(eval(&a64, Abi::Aarch64, "getpid", &[]), SECCOMP_RET_ALLOW);
    let arm = compile(Arch::Arm, &[]);
    assert_eq!(arm.abis(), &[Abi::Arm]);
}

#[test]
fn other_abis_are_killed_and_x32_cannot_bypass() {
    let raw = |p: &Program, arch: u32, nr: u32| {
        p.evaluate(&SeccompData {
            nr,
            arch,
            ..Default::default()
        })
    };
    let arm = compile(Arch::Arm, &[]);
    assert_eq!(raw(&arm, AUDIT_ARCH_X86_64, 39), SECCOMP_RET_KILL_PROCESS);
    let a64 = compile(Arch::Aarch64, &[]);
    assert_eq!(raw(&a64, AUDIT_ARCH_X86_64, 172), SECCOMP_RET_KILL_PROCESS);
    let x86 = compile(Arch::X86_64, &[]);
    assert_eq!(raw(&x86, AUDIT_ARCH_ARM, 20), SECCOMP_RET_KILL_PROCESS);
    // docker's profile covers x32: its mount (165 | x32 bit) is denied,
    // its getpid allowed.
    assert_eq!(raw(&x86, AUDIT_ARCH_X86_64, 0x4000_0000 | 165), EPERM);
    assert_eq!(
        raw(&x86, AUDIT_ARCH_X86_64, 0x4000_0000 | 39),
        SECCOMP_RET_ALLOW
    );

    // A deny-list profile that covers only x86_64: x32 and i386 syscalls
    // must not get the default ALLOW.
    let p = common::x86_64_all_but_mount();
    assert_eq!(p.abis(), &[Abi::X86_64]);
    assert_eq!(raw(&p, AUDIT_ARCH_X86_64, 165), EPERM);
    assert_eq!(raw(&p, AUDIT_ARCH_X86_64, 39), SECCOMP_RET_ALLOW);
    assert_eq!(
        raw(&p, AUDIT_ARCH_X86_64, 0x4000_0000 | 165),
        SECCOMP_RET_KILL_PROCESS
    );
    assert_eq!(
        raw(&p, skiff_seccomp::arch::AUDIT_ARCH_I386, 21),
        SECCOMP_RET_KILL_PROCESS
    );
    // nr -1 (what ptrace uses to skip a syscall) is not x32.
    assert_eq!(raw(&p, AUDIT_ARCH_X86_64, u32::MAX), SECCOMP_RET_ALLOW);
}

#[test]
fn min_kernel_follows_the_kernel_version() {
    let old = CompileOptions {
        arch: Arch::X86_64,
        capabilities: &[],
        kernel: Some(KernelVersion::new(4, 4)),
    };
    let p = Profile::docker_default().compile(&old).unwrap();
    assert_eq!(eval(&p, Abi::X86_64, "ptrace", &[]), EPERM);
    assert_eq!(eval(&p, Abi::X86_64, "process_vm_readv", &[]), EPERM);
    let p = compile(Arch::X86_64, &["CAP_SYS_PTRACE"]);
    assert_eq!(eval(&p, Abi::X86_64, "kcmp", &[]), SECCOMP_RET_ALLOW);
    // The running kernel is used when none is given.
    let p = Profile::docker_default()
        .compile(&CompileOptions::new(Arch::host(), &[]))
        .unwrap();
    assert!(p.len() > 100);
}

#[test]
fn instruction_counts_stay_far_below_the_kernel_limit() {
    for arch in [Arch::X86_64, Arch::Aarch64, Arch::Arm] {
        for caps in [&[][..], &["CAP_SYS_ADMIN"][..]] {
            let p = compile(arch, caps);
            eprintln!("{arch:?} {caps:?}: {} instructions", p.len());
            assert!(p.len() < 1024, "{arch:?}: {}", p.len());
        }
    }
}

#[test]
fn syscalls_newer_than_the_profile_get_enosys_as_under_runc() {
    let raw = |p: &Program, abi: Abi, nr: u32| {
        p.evaluate(&SeccompData {
            nr,
            arch: abi.audit_arch(),
            ..Default::default()
        })
    };
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let p = compile(arch, &[]);
        let native = arch.native_abi();
        // Above the highest syscall docker's profile names: "not implemented".
        assert_eq!(raw(&p, native, 600), ENOSYS, "{arch:?}");
        assert_eq!(raw(&p, native, 100_000), ENOSYS, "{arch:?}");
        // Below it, unnamed numbers keep the default action.
        let getpid = native.syscall_number("getpid").unwrap();
        assert_eq!(raw(&p, native, getpid), SECCOMP_RET_ALLOW);
        assert_eq!(
            raw(&p, native, native.syscall_number("mount").unwrap()),
            EPERM
        );
    }
    // 32-bit ARM names ARM-private syscalls (set_tls = 0xf0005), so like
    // runc only numbers above those get ENOSYS.
    let p = compile(Arch::Arm, &[]);
    assert_eq!(raw(&p, Abi::Arm, 600), EPERM);
    assert_eq!(raw(&p, Abi::Arm, 0xf_0006), ENOSYS);
    // Not for permissive defaults (runc skips its stub then).
    let allow = common::x86_64_all_but_mount();
    assert_eq!(raw(&allow, Abi::X86_64, 600), SECCOMP_RET_ALLOW);
}

#[test]
fn runc_conversion_quirks_are_reproduced() {
    let p = Profile::from_json(
        br#"{
          "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
          "syscalls": [
            {"names": ["getpid"], "action": "SCMP_ACT_ERRNO"},
            {"names": ["getppid"], "action": "SCMP_ACT_TRACE"},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                      {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                      {"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]},
            {"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
             "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}]},
            {"names": ["uname"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_GE"}]},
            {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"}
          ]
        }"#,
    )
    .unwrap()
    .compile(&CompileOptions::new(Arch::X86_64, &[]))
    .unwrap();
    let e = |name: &str, args: &[u64]| eval(&p, Abi::X86_64, name, args);
    // ERRNO / TRACE without errnoRet: EPERM, not defaultErrnoRet.
    assert_eq!(e("getpid", &[]), EPERM);
    assert_eq!(e("getppid", &[]), libc::SECCOMP_RET_TRACE | 1);
    assert_eq!(e("mount", &[]), ENOSYS);
    // Two conditions on one argument: either may hold.
    assert_eq!(e("personality", &[0]), SECCOMP_RET_ALLOW);
    assert_eq!(e("personality", &[8]), SECCOMP_RET_ALLOW);
    assert_eq!(e("personality", &[1]), ENOSYS);
    // Conditions on different arguments: both must hold.
    assert_eq!(e("socket", &[1, 1]), SECCOMP_RET_ALLOW);
    assert_eq!(e("socket", &[1, 2]), ENOSYS);
    // A rule doing what the default does is dropped, so it cannot shadow
    // the later ALLOW for the same value.
    assert_eq!(e("uname", &[5]), SECCOMP_RET_ALLOW);
    assert_eq!(e("uname", &[4]), ENOSYS);
}
