//! A compiled filter, ready to install.

use crate::arch::Abi;
use crate::bpf::{self, Insn, SeccompData};

/// A compiled seccomp filter. Compile it before `fork`, install it after:
/// installing allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub(crate) insns: Vec<Insn>,
    pub(crate) flags: u32,
    pub(crate) abis: Vec<Abi>,
}

impl Program {
    /// The BPF instructions, in execution order.
    pub fn instructions(&self) -> &[Insn] {
        &self.insns
    }

    /// Number of instructions (the kernel accepts at most 4096).
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// seccomp(2) filter flags the profile asked for.
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// The syscall ABIs the filter has rules for (native first). Any other
    /// ABI is killed.
    pub fn abis(&self) -> &[Abi] {
        &self.abis
    }

    /// Runs the filter on a synthetic syscall, as the kernel would, and
    /// returns the SECCOMP_RET_* value. For tests and `--explain`-style tools.
    pub fn evaluate(&self, data: &SeccompData) -> u32 {
        // The program passed bpf::check when it was compiled.
        bpf::run_checked(&self.insns, data)
    }

    /// [`Program::evaluate`] for a syscall by name on `abi`; `None` when the
    /// ABI has no syscall of that name.
    pub fn evaluate_syscall(&self, abi: Abi, name: &str, args: [u64; 6]) -> Option<u32> {
        let nr = abi.syscall_number(name)?;
        Some(self.evaluate(&SeccompData {
            nr,
            arch: abi.audit_arch(),
            instruction_pointer: 0,
            args,
        }))
    }
}
