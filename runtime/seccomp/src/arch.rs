//! Architectures: the native one a filter is compiled for, and the syscall
//! ABIs (audit arches) a filter can cover on it.

use crate::tables;

/// The native architecture a program is compiled for (the host's, normally).
/// skiff ships for these three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
    /// 32-bit ARM, EABI (armhf / armv7, and armv6).
    Arm,
}

impl Arch {
    /// The architecture this binary was built for.
    pub const fn host() -> Arch {
        #[cfg(target_arch = "x86_64")]
        return Arch::X86_64;
        #[cfg(target_arch = "aarch64")]
        return Arch::Aarch64;
        #[cfg(target_arch = "arm")]
        return Arch::Arm;
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "arm")))]
        compile_error!("skiff-seccomp supports x86_64, aarch64 and arm targets only");
    }

    /// Go's `GOARCH`, which docker's `includes.arches` / `excludes.arches` name.
    pub const fn go_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Aarch64 => "arm64",
            Arch::Arm => "arm",
        }
    }

    /// The syscall ABI of native processes.
    pub const fn native_abi(self) -> Abi {
        match self {
            Arch::X86_64 => Abi::X86_64,
            Arch::Aarch64 => Abi::Aarch64,
            Arch::Arm => Abi::Arm,
        }
    }

    /// ABIs a process on this kernel may use besides the native one.
    /// Profile arches outside this set can never be seen here and are ignored.
    pub const fn compat_abis(self) -> &'static [Abi] {
        match self {
            Arch::X86_64 => &[Abi::X86, Abi::X32],
            Arch::Aarch64 => &[Abi::Arm],
            Arch::Arm => &[],
        }
    }
}

/// A syscall ABI as seen by seccomp: an `AUDIT_ARCH_*` value plus, for x32,
/// the syscall-number bit that tells it apart from x86_64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Abi {
    X86_64,
    /// i386 processes on an x86_64 kernel.
    X86,
    /// x32: AUDIT_ARCH_X86_64 with syscall numbers carrying `X32_SYSCALL_BIT`.
    X32,
    Aarch64,
    /// 32-bit ARM EABI, native or compat (AArch32 processes on arm64).
    Arm,
}

pub use linux_raw_sys::ptrace::{
    AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64,
};
/// `__X32_SYSCALL_BIT`: the crates define it only when building for
/// x86_64, and filters for x86_64 are also compiled (and tested) elsewhere.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

impl Abi {
    pub const ALL: [Abi; 5] = [Abi::X86_64, Abi::X86, Abi::X32, Abi::Aarch64, Abi::Arm];

    /// `seccomp_data.arch` for this ABI.
    pub const fn audit_arch(self) -> u32 {
        match self {
            Abi::X86_64 | Abi::X32 => AUDIT_ARCH_X86_64,
            Abi::X86 => AUDIT_ARCH_I386,
            Abi::Aarch64 => AUDIT_ARCH_AARCH64,
            Abi::Arm => AUDIT_ARCH_ARM,
        }
    }

    /// libseccomp's name, as used in `architectures` and `archMap`.
    pub const fn scmp_name(self) -> &'static str {
        match self {
            Abi::X86_64 => "SCMP_ARCH_X86_64",
            Abi::X86 => "SCMP_ARCH_X86",
            Abi::X32 => "SCMP_ARCH_X32",
            Abi::Aarch64 => "SCMP_ARCH_AARCH64",
            Abi::Arm => "SCMP_ARCH_ARM",
        }
    }

    pub fn from_scmp_name(name: &str) -> Option<Abi> {
        Abi::ALL.into_iter().find(|a| a.scmp_name() == name)
    }

    /// Whether syscall arguments are compared on 64 bits. libseccomp compares
    /// only the low 32 bits on 32-bit ABIs (x86, x32, arm); so do we.
    pub const fn wide_args(self) -> bool {
        matches!(self, Abi::X86_64 | Abi::Aarch64)
    }

    /// The syscall number of `name` on this ABI; `None` when the ABI has no
    /// such syscall (libseccomp skips such names; so do we).
    pub fn syscall_number(self, name: &str) -> Option<u32> {
        tables::lookup(self, name)
    }

    /// All (name, number) pairs of this ABI, sorted by name.
    pub fn syscalls(self) -> &'static [(&'static str, u32)] {
        tables::table(self)
    }
}
