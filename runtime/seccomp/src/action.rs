//! Seccomp actions and their SECCOMP_RET_* encodings.

use serde::Deserialize;

/// What the filter does with a matching syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum Action {
    #[serde(rename = "SCMP_ACT_ALLOW")]
    Allow,
    /// Fail with `errnoRet` (else EPERM; `defaultErrnoRet` is only for the
    /// default action).
    #[serde(rename = "SCMP_ACT_ERRNO")]
    Errno,
    /// libseccomp's `SCMP_ACT_KILL` kills the thread.
    #[serde(rename = "SCMP_ACT_KILL", alias = "SCMP_ACT_KILL_THREAD")]
    KillThread,
    #[serde(rename = "SCMP_ACT_KILL_PROCESS")]
    KillProcess,
    #[serde(rename = "SCMP_ACT_TRAP")]
    Trap,
    /// Notify a ptrace tracer; `errnoRet` (else EPERM) is the message data.
    #[serde(rename = "SCMP_ACT_TRACE")]
    Trace,
    #[serde(rename = "SCMP_ACT_LOG")]
    Log,
    /// Needs a user-space listener (`listenerPath`): refused at compile time.
    #[serde(rename = "SCMP_ACT_NOTIFY")]
    Notify,
}

pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
pub const RET_KILL_THREAD: u32 = 0x0000_0000;
pub const RET_TRAP: u32 = 0x0003_0000;
pub const RET_ERRNO: u32 = 0x0005_0000;
pub const RET_TRACE: u32 = 0x7ff0_0000;
pub const RET_LOG: u32 = 0x7ffc_0000;
pub const RET_ALLOW: u32 = 0x7fff_0000;
/// The low 16 bits carry the errno / trace data.
pub const RET_DATA: u32 = 0x0000_ffff;
pub const RET_ACTION_FULL: u32 = 0xffff_0000;

/// EPERM: runc's errno when a profile gives none.
const EPERM: u32 = 1;

impl Action {
    /// The SECCOMP_RET_* value, or `None` for [`Action::Notify`]. `errno` is
    /// the `errnoRet` that applies; without one, EPERM (runc's choice, for
    /// ERRNO and TRACE alike).
    pub fn ret(self, errno: Option<u32>) -> Option<u32> {
        Some(match self {
            Action::Allow => RET_ALLOW,
            Action::Errno => RET_ERRNO | (errno.unwrap_or(EPERM) & RET_DATA),
            Action::KillThread => RET_KILL_THREAD,
            Action::KillProcess => RET_KILL_PROCESS,
            Action::Trap => RET_TRAP,
            Action::Trace => RET_TRACE | (errno.unwrap_or(EPERM) & RET_DATA),
            Action::Log => RET_LOG,
            Action::Notify => return None,
        })
    }
}
