//! Classic BPF as seccomp uses it: instructions, a small assembler that
//! places long jumps itself, the kernel's acceptance rules, and an
//! interpreter (used by tests and by [`crate::Program::evaluate`]).
//!
//! The assembler emits the program **backwards**, from the last instruction
//! to the first. Every jump target then already exists when the jump is
//! written, so its distance is known: when a conditional jump (8-bit
//! offsets) would reach past 255 instructions, a `JA` (32-bit offset)
//! trampoline is emitted right there and the jump goes to it.

use std::collections::HashMap;

/// One instruction, laid out as the kernel's `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Opcode parts (linux/bpf_common.h).
pub const BPF_LD: u16 = 0x00;
pub const BPF_ALU: u16 = 0x04;
pub const BPF_JMP: u16 = 0x05;
pub const BPF_RET: u16 = 0x06;
pub const BPF_W: u16 = 0x00;
pub const BPF_ABS: u16 = 0x20;
pub const BPF_AND: u16 = 0x50;
pub const BPF_JA: u16 = 0x00;
pub const BPF_JEQ: u16 = 0x10;
pub const BPF_JGT: u16 = 0x20;
pub const BPF_JGE: u16 = 0x30;
pub const BPF_K: u16 = 0x00;

/// The kernel's BPF_MAXINSNS.
pub const MAX_INSNS: usize = 4096;
/// `sizeof(struct seccomp_data)`.
pub const SECCOMP_DATA_LEN: u32 = 64;
pub const OFF_NR: u32 = 0;
pub const OFF_ARCH: u32 = 4;

/// Offset of the low 32 bits of argument `i` (little-endian: first).
pub const fn arg_lo(i: u32) -> u32 {
    16 + 8 * i
}
pub const fn arg_hi(i: u32) -> u32 {
    16 + 8 * i + 4
}

/// Conditional jumps the generator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    Eq,
    Gt,
    Ge,
}

/// Position of an instruction, counted from the END of the program
/// (0 = last instruction). Stable while the assembler prepends.
pub type Label = usize;

#[derive(Default)]
pub struct Asm {
    rev: Vec<Insn>,
    /// Last trampoline made for a target, reused while still in reach.
    trampolines: HashMap<Label, Label>,
}

impl Asm {
    pub fn new() -> Asm {
        Asm::default()
    }

    fn push(&mut self, code: u16, jt: u8, jf: u8, k: u32) -> Label {
        self.rev.push(Insn { code, jt, jf, k });
        self.rev.len() - 1
    }

    /// Offset a jump placed next would need to reach `target`.
    fn dist(&self, target: Label) -> usize {
        self.rev.len() - target - 1
    }

    pub fn ret(&mut self, k: u32) -> Label {
        self.push(BPF_RET | BPF_K, 0, 0, k)
    }

    pub fn load(&mut self, offset: u32) -> Label {
        self.push(BPF_LD | BPF_W | BPF_ABS, 0, 0, offset)
    }

    pub fn and(&mut self, k: u32) -> Label {
        self.push(BPF_ALU | BPF_AND | BPF_K, 0, 0, k)
    }

    /// An unconditional jump (32-bit offset).
    pub fn goto(&mut self, target: Label) -> Label {
        let k = self.dist(target) as u32;
        self.push(BPF_JMP | BPF_JA, 0, 0, k)
    }

    /// Makes `target` the next instruction to run after whatever is
    /// prepended next: nothing if it already is, else a `JA`.
    pub fn at(&mut self, target: Label) -> Label {
        if self.dist(target) == 0 {
            target
        } else {
            self.goto(target)
        }
    }

    /// `target` itself if a conditional jump placed next reaches it, else a
    /// trampoline that does.
    fn near(&mut self, target: Label) -> Label {
        if self.dist(target) <= 255 {
            return target;
        }
        if let Some(&t) = self.trampolines.get(&target) {
            if self.dist(t) <= 255 {
                return t;
            }
        }
        let t = self.goto(target);
        self.trampolines.insert(target, t);
        t
    }

    /// `if A <cond> k goto jt else goto jf`. Like every emitter, the label
    /// returned is the next instruction to run after one prepended later.
    pub fn jump(&mut self, cond: Cond, k: u32, jt: Label, jf: Label) -> Label {
        if jt == jf {
            return self.at(jt);
        }
        loop {
            // A trampoline for one side may push the other out of reach:
            // retry until both are near (fresh trampolines always are).
            let t = self.near(jt);
            let f = self.near(jf);
            let (dt, df) = (self.dist(t), self.dist(f));
            if dt <= 255 && df <= 255 {
                let op = match cond {
                    Cond::Eq => BPF_JEQ,
                    Cond::Gt => BPF_JGT,
                    Cond::Ge => BPF_JGE,
                };
                return self.push(BPF_JMP | op | BPF_K, dt as u8, df as u8, k);
            }
        }
    }

    /// The program in execution order.
    pub fn finish(self) -> Vec<Insn> {
        let mut v = self.rev;
        v.reverse();
        v
    }
}

/// The checks the kernel makes (`bpf_check_classic` + `seccomp_check_filter`)
/// restricted to what the generator emits. Catches generator bugs before
/// the kernel does, and lets tests vet programs for arches we cannot run.
pub fn check(prog: &[Insn]) -> Result<(), String> {
    if prog.is_empty() || prog.len() > MAX_INSNS {
        return Err(format!("length {} not in 1..={MAX_INSNS}", prog.len()));
    }
    for (pc, i) in prog.iter().enumerate() {
        let remaining = prog.len() - pc - 1;
        match i.code {
            c if c == BPF_LD | BPF_W | BPF_ABS => {
                if i.k >= SECCOMP_DATA_LEN || i.k % 4 != 0 {
                    return Err(format!("{pc}: load offset {} outside seccomp_data", i.k));
                }
            }
            c if c == BPF_ALU | BPF_AND | BPF_K => {}
            c if c == BPF_RET | BPF_K => {}
            c if c == BPF_JMP | BPF_JA => {
                if i.k as usize >= remaining {
                    return Err(format!("{pc}: ja {} out of range", i.k));
                }
            }
            c if c == BPF_JMP | BPF_JEQ | BPF_K
                || c == BPF_JMP | BPF_JGT | BPF_K
                || c == BPF_JMP | BPF_JGE | BPF_K =>
            {
                if i.jt as usize >= remaining || i.jf as usize >= remaining {
                    return Err(format!("{pc}: jump out of range"));
                }
            }
            c => return Err(format!("{pc}: opcode {c:#x} not allowed")),
        }
    }
    let last = prog[prog.len() - 1];
    if last.code != BPF_RET | BPF_K {
        return Err("program does not end with ret".into());
    }
    Ok(())
}

/// `struct seccomp_data`: what the filter sees of a syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeccompData {
    pub nr: u32,
    pub arch: u32,
    pub instruction_pointer: u64,
    pub args: [u64; 6],
}

impl SeccompData {
    /// The 64 bytes a filter loads from: the kernel's `struct seccomp_data`
    /// layout, little-endian as on every architecture skiff supports.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut bytes = [0u8; 64];
        bytes[0..4].copy_from_slice(&self.nr.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.arch.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.instruction_pointer.to_le_bytes());
        for (i, a) in self.args.iter().enumerate() {
            bytes[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_le_bytes());
        }
        bytes
    }

    fn word(&self, off: u32) -> u32 {
        let bytes = self.to_bytes();
        let o = off as usize;
        u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]])
    }
}

/// Runs a checked program on `data` and returns the SECCOMP_RET_* value.
pub fn run(prog: &[Insn], data: &SeccompData) -> Result<u32, String> {
    check(prog)?;
    Ok(run_checked(prog, data))
}

/// [`run`] for a program that already passed [`check`].
pub(crate) fn run_checked(prog: &[Insn], data: &SeccompData) -> u32 {
    let (mut pc, mut a) = (0usize, 0u32);
    loop {
        let i = prog[pc];
        pc += 1;
        match i.code {
            c if c == BPF_LD | BPF_W | BPF_ABS => a = data.word(i.k),
            c if c == BPF_ALU | BPF_AND | BPF_K => a &= i.k,
            c if c == BPF_RET | BPF_K => return i.k,
            c if c == BPF_JMP | BPF_JA => pc += i.k as usize,
            c => {
                let taken = match c & 0xf0 {
                    BPF_JEQ => a == i.k,
                    BPF_JGT => a > i.k,
                    _ => a >= i.k,
                };
                pc += if taken { i.jt } else { i.jf } as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_jumps_get_trampolines() {
        // if nr == 7 return 1 else (600 filler rets later) return 2
        let mut asm = Asm::new();
        let far = asm.ret(2);
        for _ in 0..600 {
            asm.ret(99);
        }
        let one = asm.ret(1);
        asm.jump(Cond::Eq, 7, one, far);
        asm.load(OFF_NR);
        let prog = asm.finish();
        check(&prog).unwrap();
        let d = |nr| SeccompData {
            nr,
            ..Default::default()
        };
        assert_eq!(run(&prog, &d(7)), Ok(1));
        assert_eq!(run(&prog, &d(8)), Ok(2));
        assert!(prog.iter().any(|i| i.code == BPF_JMP | BPF_JA));
    }

    #[test]
    fn check_rejects_bad_programs() {
        let ret = Insn {
            code: BPF_RET,
            jt: 0,
            jf: 0,
            k: 0,
        };
        let ld = |k| Insn {
            code: BPF_LD | BPF_W | BPF_ABS,
            jt: 0,
            jf: 0,
            k,
        };
        assert!(check(&[]).is_err());
        assert!(check(&[ld(0)]).is_err());
        assert!(check(&[ld(64), ret]).is_err());
        assert!(check(&[ld(2), ret]).is_err());
        let jeq = Insn {
            code: BPF_JMP | BPF_JEQ,
            jt: 1,
            jf: 0,
            k: 0,
        };
        assert!(check(&[jeq, ret]).is_err());
        assert!(check(&[ld(60), ret]).is_ok());
    }
}
