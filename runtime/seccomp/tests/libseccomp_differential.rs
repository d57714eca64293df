//! Differential test against libseccomp itself: for docker's default profile,
//! the programs libseccomp 2.5.4 generates (tests/libseccomp/*.bpf, made by
//! gen.py through Debian's python3-seccomp, resolved by an independent
//! re-implementation of docker's rules) and ours must return the same action
//! for every syscall number, ABI and interesting argument value.
//!
//! The only differences allowed are syscalls libseccomp 2.5.4 does not know
//! (listed by gen.py in *.unknown), which our newer tables do.

use std::collections::BTreeSet;
use std::path::PathBuf;

use skiff_seccomp::arch::{
    AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT,
};
use skiff_seccomp::{Abi, Arch, CompileOptions, KernelVersion, Profile, SeccompData};

/// docker's default capability set.
const DOCKER_CAPS: &[&str] = skiff_core::caps::DEFAULT_CAPABILITIES;

/// A complete classic-BPF interpreter (libseccomp's output uses more of the
/// instruction set than ours).
fn run_any(prog: &[(u16, u8, u8, u32)], data: &SeccompData) -> u32 {
    run_counting(prog, data).0
}

/// [`run_any`], also returning how many instructions ran.
fn run_counting(prog: &[(u16, u8, u8, u32)], data: &SeccompData) -> (u32, usize) {
    let bytes = data.to_bytes();
    let word = |k: u32| {
        let k = k as usize;
        u32::from_le_bytes(bytes[k..k + 4].try_into().unwrap())
    };
    let (mut a, mut x, mut mem) = (0u32, 0u32, [0u32; 16]);
    let (mut pc, mut steps) = (0, 0);
    loop {
        let (code, jt, jf, k) = prog[pc];
        pc += 1;
        steps += 1;
        let src = if code & 0x08 != 0 { x } else { k };
        match code & 0x07 {
            0x00 => match code & 0xe0 {
                0x20 => a = word(k),
                0x00 => a = k,
                0x60 => a = mem[k as usize],
                0x80 => a = 64,
                m => panic!("ld mode {m:#x}"),
            },
            0x01 => match code & 0xe0 {
                0x00 => x = k,
                0x60 => x = mem[k as usize],
                0x80 => x = 64,
                m => panic!("ldx mode {m:#x}"),
            },
            0x02 => mem[k as usize] = a,
            0x03 => mem[k as usize] = x,
            0x04 => {
                a = match code & 0xf0 {
                    0x00 => a.wrapping_add(src),
                    0x10 => a.wrapping_sub(src),
                    0x20 => a.wrapping_mul(src),
                    0x30 => a / src,
                    0x40 => a | src,
                    0x50 => a & src,
                    0x60 => a << src,
                    0x70 => a >> src,
                    0x80 => a.wrapping_neg(),
                    0x90 => a % src,
                    0xa0 => a ^ src,
                    op => panic!("alu {op:#x}"),
                }
            }
            0x05 => {
                let taken = match code & 0xf0 {
                    0x00 => {
                        pc += k as usize;
                        continue;
                    }
                    0x10 => a == src,
                    0x20 => a > src,
                    0x30 => a >= src,
                    0x40 => a & src != 0,
                    op => panic!("jmp {op:#x}"),
                };
                pc += if taken { jt } else { jf } as usize;
            }
            0x06 => return (if code & 0x18 == 0x10 { a } else { k }, steps),
            _ => {
                if code & 0xf8 == 0x00 {
                    x = a; // TAX
                } else {
                    a = x; // TXA
                }
            }
        }
    }
}

/// The ABI a syscall is made in, as runc's stub tells them apart.
fn abi_of(audit: u32, nr: u32) -> Option<Abi> {
    match audit {
        AUDIT_ARCH_X86_64 if nr & X32_SYSCALL_BIT != 0 => Some(Abi::X32),
        AUDIT_ARCH_X86_64 => Some(Abi::X86_64),
        AUDIT_ARCH_I386 => Some(Abi::X86),
        AUDIT_ARCH_AARCH64 => Some(Abi::Aarch64),
        AUDIT_ARCH_ARM => Some(Abi::Arm),
        _ => None,
    }
}

/// runc's stub: ENOSYS above the highest number the profile names.
fn runc_stub(highest: &[(Abi, u32)], data: &SeccompData) -> Option<u32> {
    let abi = abi_of(data.arch, data.nr)?;
    let (_, top) = highest.iter().find(|(a, _)| *a == abi)?;
    (data.nr > *top).then_some(0x0005_0000 | 38)
}

/// Our highest named number on `abi`: the largest skipped (newer than
/// libseccomp) number, if any is above libseccomp's.
fn ours_highest(abi: Abi, skip: &BTreeSet<(u32, u32)>) -> Option<u32> {
    skip.iter()
        .filter(|(audit, nr)| abi_of(*audit, *nr) == Some(abi))
        .map(|(_, nr)| *nr)
        .max()
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/libseccomp")
}

fn abi_named(name: &str) -> Abi {
    match name {
        "x86_64" => Abi::X86_64,
        "x86" => Abi::X86,
        "x32" => Abi::X32,
        "aarch64" => Abi::Aarch64,
        "arm" => Abi::Arm,
        other => panic!("unknown abi {other}"),
    }
}

/// Syscalls younger than libseccomp 2.5.4 (or unknown to it on some ABI);
/// ours know them. Anything else libseccomp skips is a test failure.
const NEWER_THAN_LIBSECCOMP: &[&str] = &[
    "getxattrat",
    "listmount",
    "listxattrat",
    "lsm_get_self_attr",
    "lsm_list_modules",
    "lsm_set_self_attr",
    "mseal",
    "removexattrat",
    "setxattrat",
    "statmount",
    "uretprobe",
    "map_shadow_stack",
    // arm: the header aliases it to arm_sync_file_range (341), which the
    // same docker rule allows; libseccomp only knows the arm_ name.
    "sync_file_range2",
];

#[test]
fn docker_default_matches_libseccomp_on_every_abi() {
    let profile = Profile::docker_default();
    let mut compared = 0u64;
    for (arch, arch_name) in [
        (Arch::X86_64, "x86_64"),
        (Arch::Aarch64, "aarch64"),
        (Arch::Arm, "arm"),
    ] {
        for (caps, caps_name) in [
            (&[][..], "nocaps"),
            (DOCKER_CAPS, "docker"),
            (&[DOCKER_CAPS, &["CAP_SYS_ADMIN"]].concat()[..], "sysadmin"),
        ] {
            let base = fixtures().join(format!("{arch_name}-{caps_name}"));
            let raw = std::fs::read(base.with_extension("bpf")).unwrap();
            let theirs: Vec<(u16, u8, u8, u32)> = raw
                .chunks_exact(8)
                .map(|c| {
                    (
                        u16::from_le_bytes([c[0], c[1]]),
                        c[2],
                        c[3],
                        u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                    )
                })
                .collect();
            // runc's -ENOSYS stub in front of libseccomp's program.
            let highest_text = std::fs::read_to_string(base.with_extension("highest")).unwrap();
            let runc_highest: Vec<(Abi, u32)> = highest_text
                .lines()
                .map(|l| {
                    let (abi, n) = l.split_once(' ').unwrap();
                    (abi_named(abi), n.parse().unwrap())
                })
                .collect();
            let unknown = std::fs::read_to_string(base.with_extension("unknown")).unwrap();
            let mut skip: BTreeSet<(u32, u32)> = BTreeSet::new();
            for line in unknown.lines() {
                let (abi, name) = line.split_once(' ').unwrap();
                let abi = abi_named(abi);
                if let Some(nr) = abi.syscall_number(name) {
                    assert!(
                        NEWER_THAN_LIBSECCOMP.contains(&name),
                        "libseccomp does not know {abi:?} {name} ({nr}) but we do: check our table"
                    );
                    skip.insert((abi.audit_arch(), nr));
                }
            }

            let opts = CompileOptions {
                arch,
                capabilities: caps,
                kernel: Some(KernelVersion::new(6, 1)),
            };
            let ours = profile.compile(&opts).unwrap();
            if caps_name == "docker" {
                // Cost per syscall: instructions run, averaged over the
                // native ABI's numbers 0..=450 (what a container really pays).
                let mine: Vec<(u16, u8, u8, u32)> = ours
                    .instructions()
                    .iter()
                    .map(|i| (i.code, i.jt, i.jf, i.k))
                    .collect();
                let native = arch.native_abi();
                let mean = |p: &[(u16, u8, u8, u32)]| {
                    let total: usize = (0..=450)
                        .map(|nr| {
                            let d = SeccompData {
                                nr,
                                arch: native.audit_arch(),
                                ..Default::default()
                            };
                            run_counting(p, &d).1
                        })
                        .sum();
                    total as f64 / 451.0
                };
                let (o, t) = (mean(&mine), mean(&theirs));
                eprintln!(
                    "{arch_name}: {} vs libseccomp {} instructions; {o:.1} vs {t:.1} run per syscall",
                    ours.len(),
                    theirs.len()
                );
                assert!(o < t, "our search should beat libseccomp's linear chain");
            }
            let mut args: Vec<u64> = vec![0, 1, 2, 8, 10, 16, 38, 39, 40, 41, 0x20000, 0x20008];
            args.extend([
                0xffff_ffff,
                1 << 32,
                (1 << 32) | 8,
                u64::MAX,
                0x7e02_0000,
                0x1000_0000,
            ]);
            args.extend([0x0002_0000, 0x0400_0000, 0x11, 0x0100_0011, 0x8000_0000]);

            let arg_nrs: BTreeSet<u32> = ["clone", "clone3", "socket", "personality"]
                .iter()
                .flat_map(|n| Abi::ALL.iter().filter_map(move |abi| abi.syscall_number(n)))
                .collect();
            let audits = [
                AUDIT_ARCH_X86_64,
                AUDIT_ARCH_I386,
                AUDIT_ARCH_AARCH64,
                AUDIT_ARCH_ARM,
                7,
            ];
            for audit in audits {
                let nrs = (0..1024)
                    .chain(0xf_0000..0xf_0008)
                    .chain((0..600).map(|n| n | X32_SYSCALL_BIT))
                    .chain([0x3fff_ffff, 0x8000_0000, u32::MAX]);
                for nr in nrs {
                    // Between libseccomp's highest known number and ours,
                    // only the stub (ENOSYS there) could differ: skip.
                    if let Some(abi) = abi_of(audit, nr) {
                        let theirs_top = runc_highest
                            .iter()
                            .find(|(a, _)| *a == abi)
                            .map(|(_, n)| *n);
                        let ours_top = ours_highest(abi, &skip);
                        if let (Some(t), Some(o)) = (theirs_top, ours_top) {
                            if nr > t && nr <= o {
                                continue;
                            }
                        }
                    }
                    let key = (audit, nr);
                    let x32_key = (audit, nr | X32_SYSCALL_BIT);
                    if skip.contains(&key)
                        || (audit == AUDIT_ARCH_X86_64
                            && skip.contains(&x32_key)
                            && nr >= X32_SYSCALL_BIT)
                    {
                        continue;
                    }
                    // Only syscalls with argument rules need argument sweeps.
                    let sweep: &[u64] = if arg_nrs.contains(&nr) { &args } else { &[0] };
                    for i in 0..2 {
                        for &a in sweep {
                            let mut data = SeccompData {
                                nr,
                                arch: audit,
                                ..Default::default()
                            };
                            data.args[i] = a;
                            let t = runc_stub(&runc_highest, &data)
                                .unwrap_or_else(|| run_any(&theirs, &data));
                            let o = ours.evaluate(&data);
                            assert_eq!(
                                o, t,
                                "{arch_name}-{caps_name}: arch {audit:#x} nr {nr:#x} args {:x?}: ours {o:#x}, libseccomp {t:#x}",
                                data.args
                            );
                            compared += 1;
                        }
                    }
                }
            }
        }
    }
    eprintln!("{compared} syscall evaluations agree with libseccomp");
}
