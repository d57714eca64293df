//! docker-format seccomp profiles compiled to classic BPF in pure Rust, for
//! x86_64, aarch64 and 32-bit ARM, and installed in the calling process.
//!
//! ```no_run
//! use skiff_seccomp::{install, Arch, CompileOptions, Profile};
//! let caps = ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"];
//! let program = Profile::docker_default()
//!     .compile(&CompileOptions::new(Arch::host(), &caps))?;
//! // ... fork; in the single-threaded child, right before execve:
//! install(&program)?;
//! # Ok::<(), skiff_seccomp::Error>(())
//! ```
//!
//! # Pipeline
//! 1. [`Profile::from_json`] parses docker's profile format (a superset of
//!    OCI `linux.seccomp`); [`Profile::docker_default`] is docker's default
//!    profile, embedded in the binary.
//! 2. [`Profile::compile`] resolves it for one container as docker does
//!    (`includes`/`excludes` on capabilities, the native arch and the kernel
//!    version), maps names to numbers per syscall ABI with tables generated
//!    from Linux headers (names an ABI lacks are skipped, as libseccomp does)
//!    and generates the BPF program.
//! 3. [`install`] loads it with seccomp(2) (prctl fallback). Compile before
//!    fork, install after: installing allocates nothing.
//!
//! # Architectures
//! The filter first checks `seccomp_data.arch`. It covers the native ABI and
//! the compat ABIs the profile lists for it (docker's `archMap`: i386 and
//! x32 on x86_64, 32-bit ARM on aarch64), so 32-bit containers keep working
//! where docker's do. Any other ABI is killed (libseccomp's "bad arch"
//! action), never given the default action, so a deny-list profile cannot be
//! bypassed through another ABI. x32 syscalls arrive as x86_64 with bit
//! 0x40000000 in the number: they get the x32 rules, or are killed.
//! Arguments are compared on 64 bits on x86_64/aarch64 and on their low 32
//! bits on 32-bit ABIs, as libseccomp does.
//!
//! # Fidelity to docker
//! docker resolves the profile (moby's `setupSeccomp`), runc hands it to
//! libseccomp and prepends its "-ENOSYS stub". We reproduce all three:
//! resolution as moby does it, rule semantics as libseccomp's (checked by a
//! differential test against programs libseccomp 2.5.4 generated, see
//! `tests/libseccomp_differential.rs`), and runc's rule that syscalls
//! numbered above every syscall the profile names get ENOSYS rather than the
//! default action (for restrictive defaults), so libcs fall back from
//! syscalls newer than the profile. Known differences: i386 socketcall/ipc
//! multiplexers are not rewritten for per-call rules (docker's profile allows
//! them outright, so it does not matter there), and `SCMP_ACT_NOTIFY` is
//! refused.
//!
//! # Size
//! Syscall numbers with equal outcome are grouped into ranges searched by a
//! binary tree. docker's default (docker's capability set) compiles to 678
//! instructions on x86_64 (x86_64 + i386 + x32 sections), 495 on aarch64
//! (+ arm compat) and 310 on arm; libseccomp 2.5.4 in the binary-tree mode
//! runc uses makes 1246, 809 and 457. A syscall runs ~11 instructions
//! (libseccomp's: ~15). The kernel's limit is 4096. Long jumps are handled
//! by the assembler (see [`bpf`]).
//!
//! # Testing without ARM hardware
//! qemu-user cannot help: it refuses `PR_SET_SECCOMP` and has no seccomp(2).
//! Programs for every ABI are instead run through this crate's interpreter
//! ([`Program::evaluate`]) against the profile's direct evaluation and
//! against libseccomp's programs; x86_64 ones are also installed for real.
//!
//! # Why our own generator
//! libseccomp is C and would break the static musl build. `seccompiler` (pure
//! Rust, Firecracker's) targets x86_64, aarch64 and riscv64 only, has no
//! notion of docker's profile format or of compat ABIs, and skiff ships for
//! armhf too. One generator for all ABIs means one set of semantics to test:
//! the program for each ABI is run through the interpreter in [`bpf`] in
//! tests, against a direct evaluation of the profile, without ARM hardware.

pub mod action;
pub mod arch;
pub mod bpf;
mod codegen;
mod error;
mod install;
pub mod kernel;
pub mod profile;
mod program;
#[cfg(test)]
mod reference;
mod resolve;
mod tables;

pub use action::Action;
pub use arch::{Abi, Arch};
pub use bpf::SeccompData;
pub use error::Error;
pub use install::{install, set_no_new_privs};
pub use kernel::KernelVersion;
pub use profile::Profile;
pub use program::Program;

/// Fingerprint of this crate's code, syscall tables and embedded profile
/// (made by build.rs): part of the key of any cache of compiled programs.
pub const COMPILER_ID: &str = env!("SKIFF_SECCOMP_SOURCE_ID");

/// What a profile is resolved against: the container and the host.
#[derive(Debug, Clone, Copy)]
pub struct CompileOptions<'a> {
    /// The native architecture (normally [`Arch::host()`]).
    pub arch: Arch,
    /// The container's capabilities (docker matches its bounding set), as
    /// names: `CAP_SYS_ADMIN` (or `SYS_ADMIN`, any case). `--privileged`
    /// means all of them.
    pub capabilities: &'a [&'a str],
    /// Kernel version for `minKernel`; `None` reads the running kernel.
    pub kernel: Option<KernelVersion>,
}

impl<'a> CompileOptions<'a> {
    pub fn new(arch: Arch, capabilities: &'a [&'a str]) -> CompileOptions<'a> {
        CompileOptions {
            arch,
            capabilities,
            kernel: None,
        }
    }
}

impl Profile {
    /// Resolves the profile for a container and compiles it to BPF.
    pub fn compile(&self, opts: &CompileOptions<'_>) -> Result<Program, Error> {
        // Fields are public: a profile built in code gets the parser's checks.
        self.validate()?;
        let resolved = resolve::resolve(self, opts)?;
        let insns = codegen::generate(&resolved);
        if insns.len() > bpf::MAX_INSNS {
            return Err(Error::TooLarge(insns.len()));
        }
        bpf::check(&insns).map_err(Error::Internal)?;
        Ok(Program {
            insns,
            flags: resolved.flags,
            abis: resolved.abis,
        })
    }
}
