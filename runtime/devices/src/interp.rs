//! A tiny interpreter for the instructions [`crate::program`] emits, so
//! the generator's semantics are tested without root or a kernel (the
//! kernel cannot test-run cgroup-device programs: BPF_PROG_TEST_RUN does
//! not support the type). Test-only.

use crate::program::*;

pub const BLOCK: u32 = crate::rules::DEV_BLOCK;
pub const CHAR: u32 = crate::rules::DEV_CHAR;

/// Run `prog` on one request; true if it allows it.
pub fn run(prog: &[Insn], kind: u32, access: u8, major: u32, minor: u32) -> bool {
    let ctx = [(u32::from(access) << 16) | kind, major, minor];
    let mut r = [0u64; 11];
    let mut pc = 0usize;
    for _ in 0..prog.len() {
        let i = prog[pc];
        let (d, s) = (usize::from(i.dst()), usize::from(i.src()));
        let imm = i64::from(i.imm) as u64;
        pc += 1;
        match i.code {
            LDX_MEM_W => {
                assert_eq!(s, 1, "loads only from the context");
                r[d] = u64::from(ctx[i.off as usize / 4]);
            }
            ALU32_MOV_X => r[d] = r[s] & 0xffff_ffff,
            ALU32_AND_K => r[d] = (r[d] & imm) & 0xffff_ffff,
            ALU32_RSH_K => r[d] = (r[d] & 0xffff_ffff) >> imm,
            ALU64_MOV_K => r[d] = imm,
            JMP_JA => pc += i.off as usize,
            JMP_JEQ_K if r[d] == imm => pc += i.off as usize,
            JMP_JNE_K if r[d] != imm => pc += i.off as usize,
            JMP_JEQ_K | JMP_JNE_K => {}
            JMP_EXIT => return r[0] == 1,
            c => panic!("opcode {c:#x} not emitted by the generator"),
        }
    }
    panic!("ran off the program or looped");
}
