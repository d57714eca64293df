//! Test-only: the profile's meaning evaluated directly (no BPF), and the
//! check that every generated program agrees with it on every ABI.

use crate::arch::{Abi, Arch, AUDIT_ARCH_ARM, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT};
use crate::bpf::SeccompData;
use libc::SECCOMP_RET_KILL_PROCESS;
use skiff_core::caps::{ALL_CAPABILITIES, DEFAULT_CAPABILITIES};
use std::collections::HashMap;

use crate::resolve::{resolve, Resolved, ResolvedRule};
use crate::{CompileOptions, KernelVersion, Profile};

/// Rules by (ABI, syscall number), in profile order, and the highest
/// number each ABI has rules for.
struct ByNumber<'a> {
    rules: HashMap<(Abi, u32), Vec<&'a ResolvedRule>>,
    highest: HashMap<Abi, u32>,
}

fn by_number(r: &Resolved) -> ByNumber<'_> {
    let mut map: HashMap<(Abi, u32), Vec<&ResolvedRule>> = HashMap::new();
    for rule in &r.rules {
        for abi in Abi::ALL {
            let mut nrs: Vec<u32> = rule
                .names
                .iter()
                .filter_map(|n| abi.syscall_number(n))
                .collect();
            nrs.dedup();
            for nr in nrs {
                map.entry((abi, nr)).or_default().push(rule);
            }
        }
    }
    let mut highest: HashMap<Abi, u32> = HashMap::new();
    for &(abi, nr) in map.keys() {
        let h = highest.entry(abi).or_insert(nr);
        *h = (*h).max(nr);
    }
    ByNumber {
        rules: map,
        highest,
    }
}

/// What the kernel should get for `data`, straight from the resolved rules.
fn expected(r: &Resolved, by_nr: &ByNumber<'_>, data: &SeccompData) -> u32 {
    let covered = |abi: Abi| r.abis.contains(&abi);
    let abi = match data.arch {
        AUDIT_ARCH_X86_64 if data.nr >= X32_SYSCALL_BIT => {
            if covered(Abi::X32) {
                Abi::X32
            } else if data.nr == u32::MAX && covered(Abi::X86_64) {
                Abi::X86_64
            } else {
                return SECCOMP_RET_KILL_PROCESS;
            }
        }
        arch => match r
            .abis
            .iter()
            .find(|a| a.audit_arch() == arch && **a != Abi::X32)
        {
            Some(a) => *a,
            None => return SECCOMP_RET_KILL_PROCESS,
        },
    };
    let wide = abi.wide_args();
    let holds = |rule: &ResolvedRule| {
        rule.args.iter().all(|a| {
            let arg = data.args[a.index as usize];
            if wide {
                a.op.holds(arg, a.value, a.value_two)
            } else {
                let t = |v: u64| v as u32 as u64;
                a.op.holds(t(arg), t(a.value), t(a.value_two))
            }
        })
    };
    let highest = by_nr.highest.get(&abi);
    if r.enosys_above_known && highest.is_some_and(|&h| data.nr > h) {
        return libc::SECCOMP_RET_ERRNO | 38;
    }
    let rules: &[&ResolvedRule] = by_nr.rules.get(&(abi, data.nr)).map_or(&[], Vec::as_slice);
    if let Some(rule) = rules
        .iter()
        .find(|rule| !rule.args.is_empty() && holds(rule))
    {
        return rule.ret;
    }
    rules
        .iter()
        .find(|rule| rule.args.is_empty())
        .map_or(r.default_ret, |rule| rule.ret)
}

/// Argument values worth trying for a resolved profile: every compared value,
/// its neighbours, and the same with high bits set.
fn interesting_args(r: &Resolved) -> Vec<u64> {
    let mut v = vec![
        0,
        1,
        u32::MAX as u64,
        u64::MAX,
        1 << 32,
        0x7e02_0000,
        0x1000_0000,
    ];
    for rule in &r.rules {
        for a in &rule.args {
            for base in [a.value, a.value_two, a.value & !a.value_two] {
                for x in [base, base.wrapping_sub(1), base.wrapping_add(1)] {
                    v.extend([x, x | (1 << 32), x | (0xffff_ffff << 32), x & 0xffff_ffff]);
                }
            }
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// Compares program and reference on every syscall number of every ABI the
/// program covers (plus gaps and odd numbers), with argument combinations.
pub(crate) fn assert_equivalent(profile: &Profile, opts: &CompileOptions<'_>) -> usize {
    let r = resolve(profile, opts).unwrap();
    let prog = profile.compile(opts).unwrap();
    let args = interesting_args(&r);
    let by_nr = by_number(&r);
    let mut checked = 0;
    // Numbers (on any ABI) of syscalls with argument rules: only those need
    // argument combinations.
    let arg_nrs: Vec<u32> = r
        .rules
        .iter()
        .filter(|rule| !rule.args.is_empty())
        .flat_map(|rule| rule.names.iter())
        .flat_map(|n| Abi::ALL.iter().filter_map(move |abi| abi.syscall_number(n)))
        .collect();
    let audits = [
        AUDIT_ARCH_X86_64,
        crate::arch::AUDIT_ARCH_I386,
        crate::arch::AUDIT_ARCH_AARCH64,
        AUDIT_ARCH_ARM,
        0,
    ];
    for arch in audits {
        let mut nrs: Vec<u32> = (0..1100).chain(0xf_0000..0xf_0010).collect();
        nrs.extend((0..600).map(|n| n | X32_SYSCALL_BIT));
        nrs.extend([u32::MAX, u32::MAX - 1, 0x8000_0000, 0x3fff_ffff]);
        for nr in nrs {
            let mut data = SeccompData {
                nr,
                arch,
                ..Default::default()
            };
            // Syscalls with argument rules get every interesting value on
            // each compared argument index; others one pass with zero args.
            let mut indexes: Vec<usize> = r
                .rules
                .iter()
                .flat_map(|rule| rule.args.iter().map(|a| a.index as usize))
                .collect();
            indexes.sort_unstable();
            indexes.dedup();
            let got = prog.evaluate(&data);
            assert_eq!(got, expected(&r, &by_nr, &data), "{opts:?} {data:?}");
            checked += 1;
            if !arg_nrs.contains(&nr) {
                continue;
            }
            for &i in &indexes {
                for &a in &args {
                    data.args = [0; 6];
                    data.args[i] = a;
                    let want = expected(&r, &by_nr, &data);
                    assert_eq!(prog.evaluate(&data), want, "{opts:?} {data:x?}");
                    checked += 1;
                }
            }
        }
    }
    checked
}

#[test]
fn docker_default_programs_match_the_profile_on_every_abi() {
    let profile = Profile::docker_default();
    for arch in [Arch::X86_64, Arch::Aarch64, Arch::Arm] {
        for caps in [
            &[][..],
            DEFAULT_CAPABILITIES,
            &["CAP_SYS_ADMIN"][..],
            ALL_CAPABILITIES,
        ] {
            for kernel in [KernelVersion::new(4, 7), KernelVersion::new(6, 1)] {
                let opts = CompileOptions {
                    arch,
                    capabilities: caps,
                    kernel: Some(kernel),
                };
                let n = assert_equivalent(&profile, &opts);
                assert!(n > 5000);
            }
        }
    }
}

#[test]
fn every_operator_and_width_matches_the_reference() {
    // One syscall per operator, values straddling the 32-bit boundary, plus
    // a rule with two conditions and rules whose order matters.
    let json = br#"{
      "defaultAction": "SCMP_ACT_ALLOW",
      "archMap": [
        {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
        {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
      ],
      "syscalls": [
        {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 11,
         "args": [{"index": 0, "value": 4294967301, "op": "SCMP_CMP_EQ"}]},
        {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 12,
         "args": [{"index": 1, "value": 4294967301, "op": "SCMP_CMP_NE"}]},
        {"names": ["close"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
         "args": [{"index": 2, "value": 4294967301, "op": "SCMP_CMP_LT"}]},
        {"names": ["dup"], "action": "SCMP_ACT_TRAP",
         "args": [{"index": 3, "value": 4294967301, "op": "SCMP_CMP_LE"}]},
        {"names": ["getpid"], "action": "SCMP_ACT_KILL",
         "args": [{"index": 4, "value": 4294967301, "op": "SCMP_CMP_GT"}]},
        {"names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS",
         "args": [{"index": 5, "value": 4294967301, "op": "SCMP_CMP_GE"}]},
        {"names": ["kill"], "action": "SCMP_ACT_LOG",
         "args": [{"index": 1, "value": 18446744069414649855, "valueTwo": 4294967296, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["kill"], "action": "SCMP_ACT_TRACE", "errnoRet": 5,
         "args": [{"index": 0, "value": 7, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 3, "op": "SCMP_CMP_GE"}]},
        {"names": ["kill"], "action": "SCMP_ACT_ERRNO"},
        {"names": ["mount", "umount2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
      ]
    }"#;
    let profile = Profile::from_json(json).unwrap();
    for arch in [Arch::X86_64, Arch::Aarch64, Arch::Arm] {
        let opts = CompileOptions::new(arch, &[]);
        assert!(assert_equivalent(&profile, &opts) > 1000);
    }
}
