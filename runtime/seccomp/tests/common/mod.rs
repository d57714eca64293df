//! Fixtures shared by the seccomp integration tests.

use skiff_seccomp::{Arch, CompileOptions, Profile, Program};

/// A deny-list that covers only x86_64: every syscall allowed but `mount`
/// (EPERM), compiled for x86_64 with no capabilities. Other ABIs must not
/// inherit its ALLOW.
pub fn x86_64_all_but_mount() -> Program {
    Profile::from_json(
        br#"{"defaultAction": "SCMP_ACT_ALLOW",
             "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO"}]}"#,
    )
    .unwrap()
    .compile(&CompileOptions::new(Arch::X86_64, &[]))
    .unwrap()
}
