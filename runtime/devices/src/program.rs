//! The eBPF program (`BPF_PROG_TYPE_CGROUP_DEVICE`) for a list of rules.
//!
//! The kernel runs it on every open and mknod of a device node by a process
//! of the cgroup, with a `struct bpf_cgroup_dev_ctx { u32 access_type;
//! u32 major; u32 minor; }` where `access_type` is `access << 16 | type`;
//! returning 1 allows, 0 denies with EPERM.
//!
//! # Semantics
//! For each access bit the request holds (an open for reading and writing
//! asks for both), the **last** rule whose type, major, minor and access
//! bits match decides; no match denies. The request passes only if every
//! one of its bits is allowed. This is the cgroup v1 controller's outcome
//! for every list docker, runc or skiff produce (a deny-all reset followed
//! by allows). It is stricter in one corner: v1 ignores a deny narrower
//! than an earlier allow (`c 1:* rwm` then deny `c 1:1 rwm` leaves 1:1
//! allowed there, denied here).
//!
//! # Shape
//! One block per access bit (mknod, read, write), skipped when the request
//! lacks the bit; in each, the rules granting that bit from last to first.
//! A rule that matches every device ends its block (nothing before it can
//! matter), which keeps the program free of unreachable instructions the
//! verifier would reject. Jumps only go forward, as kernels before 5.3
//! require.

use crate::error::Error;
use crate::rules::{Rule, ACC_MKNOD, ACC_READ, ACC_WRITE};

/// One eBPF instruction, laid out as the kernel's `struct bpf_insn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Insn {
    pub code: u8,
    /// dst_reg and src_reg, 4 bits each, in the bitfield order of the
    /// host's byte order (see [`Insn::new`]).
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

const _: () = assert!(std::mem::size_of::<Insn>() == 8);

impl Insn {
    fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        let regs = if cfg!(target_endian = "little") {
            dst | (src << 4)
        } else {
            (dst << 4) | src
        };
        Insn {
            code,
            regs,
            off,
            imm,
        }
    }

    pub fn dst(&self) -> u8 {
        if cfg!(target_endian = "little") {
            self.regs & 0xf
        } else {
            self.regs >> 4
        }
    }

    pub fn src(&self) -> u8 {
        if cfg!(target_endian = "little") {
            self.regs >> 4
        } else {
            self.regs & 0xf
        }
    }
}

// Opcodes (class | op | source) used here, from linux/bpf.h.
pub const LDX_MEM_W: u8 = 0x61;
pub const ALU32_MOV_X: u8 = 0xbc;
pub const ALU32_AND_K: u8 = 0x54;
pub const ALU32_RSH_K: u8 = 0x74;
pub const ALU64_MOV_K: u8 = 0xb7;
pub const JMP_JA: u8 = 0x05;
pub const JMP_JEQ_K: u8 = 0x15;
pub const JMP_JNE_K: u8 = 0x55;
pub const JMP_EXIT: u8 = 0x95;

// Registers: r0 result and scratch, r1 the context; the rest hold the
// request's fields for the whole program.
const R0: u8 = 0;
const CTX: u8 = 1;
const RAW: u8 = 2;
const TYPE: u8 = 3;
const ACCESS: u8 = 4;
const MAJOR: u8 = 5;
const MINOR: u8 = 6;

/// Generate the program for `rules` (in spec order).
pub fn generate(rules: &[Rule]) -> Result<Vec<Insn>, Error> {
    let mut a = Asm::default();
    a.emit(Insn::new(LDX_MEM_W, RAW, CTX, 0, 0));
    a.emit(Insn::new(ALU32_MOV_X, TYPE, RAW, 0, 0));
    a.emit(Insn::new(ALU32_AND_K, TYPE, 0, 0, 0xffff));
    a.emit(Insn::new(ALU32_MOV_X, ACCESS, RAW, 0, 0));
    a.emit(Insn::new(ALU32_RSH_K, ACCESS, 0, 0, 16));
    a.emit(Insn::new(LDX_MEM_W, MAJOR, CTX, 4, 0));
    a.emit(Insn::new(LDX_MEM_W, MINOR, CTX, 8, 0));
    for bit in [ACC_MKNOD, ACC_READ, ACC_WRITE] {
        access_block(&mut a, rules, bit);
    }
    a.emit(Insn::new(ALU64_MOV_K, R0, 0, 0, 1));
    a.emit(Insn::new(JMP_EXIT, 0, 0, 0, 0));
    a.finish()
}

/// Decide one access bit: fall through to the next block if allowed,
/// return 0 if denied.
fn access_block(a: &mut Asm, rules: &[Rule], bit: u8) {
    let next_block = a.label();
    // if (access & bit) == 0 goto next_block
    a.emit(Insn::new(ALU32_MOV_X, R0, ACCESS, 0, 0));
    a.emit(Insn::new(ALU32_AND_K, R0, 0, 0, i32::from(bit)));
    a.jump(JMP_JEQ_K, R0, 0, next_block);
    let mut decided = false;
    for rule in rules.iter().rev().filter(|r| r.access & bit != 0) {
        let next_rule = a.label();
        let tests = [(TYPE, rule.kind), (MAJOR, rule.major), (MINOR, rule.minor)];
        for (reg, want) in tests {
            if let Some(v) = want {
                // rules::number keeps values within i32.
                a.jump(JMP_JNE_K, reg, v as i32, next_rule);
            }
        }
        match (rule.allow, rule.is_wildcard()) {
            (true, true) => {}
            (true, false) => a.jump(JMP_JA, 0, 0, next_block),
            (false, _) => deny(a),
        }
        a.bind(next_rule);
        if rule.is_wildcard() {
            decided = true;
            break;
        }
    }
    if !decided {
        deny(a);
    }
    a.bind(next_block);
}

fn deny(a: &mut Asm) {
    a.emit(Insn::new(ALU64_MOV_K, R0, 0, 0, 0));
    a.emit(Insn::new(JMP_EXIT, 0, 0, 0, 0));
}

/// Instructions with forward jumps to labels, resolved in [`Asm::finish`].
#[derive(Default)]
struct Asm {
    insns: Vec<Insn>,
    /// Position each label is bound to.
    labels: Vec<Option<usize>>,
    /// (jump instruction index, label) to patch.
    fixups: Vec<(usize, usize)>,
}

impl Asm {
    fn emit(&mut self, i: Insn) {
        self.insns.push(i);
    }

    fn label(&mut self) -> usize {
        self.labels.push(None);
        self.labels.len() - 1
    }

    fn bind(&mut self, label: usize) {
        self.labels[label] = Some(self.insns.len());
    }

    fn jump(&mut self, code: u8, dst: u8, imm: i32, label: usize) {
        self.fixups.push((self.insns.len(), label));
        self.emit(Insn::new(code, dst, 0, 0, imm));
    }

    fn finish(mut self) -> Result<Vec<Insn>, Error> {
        let len = self.insns.len();
        for (at, label) in self.fixups {
            // Every label is bound after its jumps by construction.
            let target = self.labels[label].unwrap_or(len);
            let off = i16::try_from(target - (at + 1)).map_err(|_| Error::TooLarge(len))?;
            self.insns[at].off = off;
        }
        Ok(self.insns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::{run, BLOCK, CHAR};
    use crate::rules::{parse, tests::cgroup_rule, ACC_ALL};

    fn program(rules: &[&str]) -> Vec<Insn> {
        let rules: Vec<_> = rules.iter().map(|r| cgroup_rule(r)).collect();
        generate(&parse(&rules).unwrap()).unwrap()
    }

    /// docker's default list, as skiff-runtime writes it into the spec.
    const DOCKER: &[&str] = &[
        "allow=false access=rwm",
        "allow=true type=c access=m",
        "allow=true type=b access=m",
        "allow=true type=c major=1 minor=3 access=rwm",
        "allow=true type=c major=1 minor=8 access=rwm",
        "allow=true type=c major=1 minor=7 access=rwm",
        "allow=true type=c major=5 minor=0 access=rwm",
        "allow=true type=c major=1 minor=5 access=rwm",
        "allow=true type=c major=1 minor=9 access=rwm",
        "allow=true type=c major=136 access=rwm",
        "allow=true type=c major=5 minor=2 access=rwm",
        "allow=true type=c major=10 minor=200 access=rwm",
    ];

    #[test]
    fn docker_default_list() {
        let p = program(DOCKER);
        let rw = ACC_READ | ACC_WRITE;
        assert!(!run(&p, CHAR, ACC_READ, 1, 1), "/dev/mem");
        assert!(!run(&p, CHAR, ACC_WRITE, 1, 1), "/dev/mem");
        assert!(run(&p, CHAR, ACC_MKNOD, 1, 1), "mknod of any char device");
        assert!(run(&p, BLOCK, ACC_MKNOD, 8, 0), "mknod of any block device");
        assert!(!run(&p, BLOCK, ACC_READ, 8, 0), "/dev/sda");
        assert!(!run(&p, BLOCK, ACC_MKNOD | ACC_READ, 8, 0));
        assert!(run(&p, CHAR, rw, 1, 3), "/dev/null");
        assert!(run(&p, CHAR, rw, 136, 7), "/dev/pts/7");
        assert!(run(&p, CHAR, ACC_ALL, 10, 200), "/dev/net/tun");
        assert!(!run(&p, CHAR, ACC_READ, 10, 201));
        assert!(!run(&p, BLOCK, ACC_READ, 1, 3), "a block device 1:3");
        assert!(!run(&p, CHAR, ACC_READ, 5, 1), "/dev/console");
    }

    #[test]
    fn last_matching_rule_wins_per_access_bit() {
        let p = program(&[
            "allow=false access=rwm",
            "allow=true type=c major=1 access=rwm",
            "allow=false type=c major=1 minor=1 access=w",
        ]);
        assert!(run(&p, CHAR, ACC_READ, 1, 1));
        assert!(!run(&p, CHAR, ACC_WRITE, 1, 1));
        assert!(!run(&p, CHAR, ACC_READ | ACC_WRITE, 1, 1));
        assert!(run(&p, CHAR, ACC_READ | ACC_WRITE, 1, 2));
        // Access granted by two rules for one device adds up, as in v1.
        let p = program(&[
            "allow=false access=rwm",
            "allow=true type=c major=4 minor=1 access=r",
            "allow=true type=c major=4 minor=1 access=w",
        ]);
        assert!(run(&p, CHAR, ACC_READ | ACC_WRITE, 4, 1));
        assert!(!run(&p, CHAR, ACC_MKNOD, 4, 1));
    }

    #[test]
    fn wildcards_reset_and_empty_lists_deny() {
        let privileged = program(&["allow=true access=rwm"]);
        assert!(run(&privileged, BLOCK, ACC_ALL, 8, 0));
        assert!(run(&privileged, CHAR, ACC_ALL, 1, 1));
        let p = program(&[]);
        assert!(!run(&p, CHAR, ACC_READ, 1, 3));
        assert!(run(&p, CHAR, 0, 1, 3), "a request for nothing");
        // A later deny-all hides every earlier allow.
        let p = program(&[
            "allow=true type=c major=1 minor=3 access=rwm",
            "allow=false",
        ]);
        assert!(!run(&p, CHAR, ACC_READ, 1, 3));
        // A later allow-all hides every earlier deny.
        let p = program(&[
            "allow=false type=c major=1 minor=1 access=rwm",
            "allow=true",
        ]);
        assert!(run(&p, CHAR, ACC_READ, 1, 1));
    }

    #[test]
    fn no_unreachable_instructions_and_forward_jumps_only() {
        for rules in [DOCKER, &["allow=true"], &["allow=false"], &[]] {
            let p = program(rules);
            let mut reached = vec![false; p.len()];
            let mut todo = vec![0usize];
            while let Some(pc) = todo.pop() {
                if reached[pc] {
                    continue;
                }
                reached[pc] = true;
                let i = p[pc];
                match i.code {
                    JMP_EXIT => {}
                    JMP_JA => todo.push(pc + 1 + i.off as usize),
                    JMP_JEQ_K | JMP_JNE_K => {
                        assert!(i.off >= 0);
                        todo.push(pc + 1);
                        todo.push(pc + 1 + i.off as usize);
                    }
                    _ => todo.push(pc + 1),
                }
            }
            assert!(reached.iter().all(|r| *r), "{rules:?}: {reached:?}");
        }
    }
}
