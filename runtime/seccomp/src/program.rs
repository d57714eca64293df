//! A compiled filter, ready to install.

use crate::arch::Abi;
use crate::bpf::{self, Insn, SeccompData};

const MAGIC: &[u8] = b"skiff-seccomp-program-v1\n";

fn take_u32(r: &mut &[u8]) -> Option<u32> {
    let (head, rest) = r.split_first_chunk::<4>()?;
    *r = rest;
    Some(u32::from_le_bytes(*head))
}

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

    /// The program as bytes, for a cache of compiled programs
    /// ([`Program::from_bytes`] reads them back): a magic line, the flags,
    /// the ABIs, then each instruction as the kernel's `sock_filter`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAGIC.len() + 12 + self.abis.len() + 8 * self.insns.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&(self.abis.len() as u32).to_le_bytes());
        for abi in &self.abis {
            out.push(Abi::ALL.iter().position(|a| a == abi).unwrap_or(0) as u8);
        }
        out.extend_from_slice(&(self.insns.len() as u32).to_le_bytes());
        for i in &self.insns {
            out.extend_from_slice(&i.code.to_le_bytes());
            out.push(i.jt);
            out.push(i.jf);
            out.extend_from_slice(&i.k.to_le_bytes());
        }
        out
    }

    /// A program written by [`Program::to_bytes`]; `None` for anything
    /// else, including one the kernel-rules check refuses (a cache entry is
    /// not trusted to be well formed: the caller compiles anew).
    pub fn from_bytes(data: &[u8]) -> Option<Program> {
        let mut r = data.strip_prefix(MAGIC)?;
        let flags = take_u32(&mut r)?;
        let n_abis = take_u32(&mut r)? as usize;
        if n_abis > Abi::ALL.len() || r.len() < n_abis {
            return None;
        }
        let (abi_bytes, rest) = r.split_at(n_abis);
        r = rest;
        let abis = abi_bytes
            .iter()
            .map(|&i| Abi::ALL.get(i as usize).copied())
            .collect::<Option<Vec<_>>>()?;
        let n_insns = take_u32(&mut r)? as usize;
        if n_insns > bpf::MAX_INSNS || r.len() != 8 * n_insns {
            return None;
        }
        let insns: Vec<Insn> = r
            .chunks_exact(8)
            .map(|c| Insn {
                code: u16::from_le_bytes([c[0], c[1]]),
                jt: c[2],
                jf: c[3],
                k: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect();
        bpf::check(&insns).ok()?;
        Some(Program { insns, flags, abis })
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

#[cfg(test)]
mod tests {
    use crate::{Arch, CompileOptions, KernelVersion, Profile};

    use super::Program;

    #[test]
    fn a_program_reads_back_from_its_bytes_and_damaged_bytes_do_not() {
        let caps = ["CAP_CHOWN"];
        let mut opts = CompileOptions::new(Arch::X86_64, &caps);
        opts.kernel = Some(KernelVersion::parse("6.1").unwrap());
        let p = Profile::docker_default().compile(&opts).unwrap();
        let bytes = p.to_bytes();
        assert_eq!(Program::from_bytes(&bytes), Some(p));
        assert_eq!(Program::from_bytes(&bytes[..bytes.len() - 1]), None);
        assert_eq!(Program::from_bytes(&bytes[1..]), None);
        // The last instruction turned into a jump past the end: refused by
        // the kernel-rules check.
        let mut bad = bytes.clone();
        let n = bad.len();
        bad[n - 8..n - 6].copy_from_slice(&0x15u16.to_le_bytes());
        bad[n - 6] = 0xff;
        assert_eq!(Program::from_bytes(&bad), None);
    }
}
