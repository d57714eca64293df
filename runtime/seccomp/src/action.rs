//! Seccomp actions and their SECCOMP_RET_* encodings (libc's constants,
//! linux/seccomp.h).

use libc::{
    SECCOMP_RET_ALLOW, SECCOMP_RET_DATA, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
    SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_TRAP,
};
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

/// EPERM: runc's errno when a profile gives none.
const EPERM: u32 = 1;

impl Action {
    /// The SECCOMP_RET_* value, or `None` for [`Action::Notify`]. `errno` is
    /// the `errnoRet` that applies; without one, EPERM (runc's choice, for
    /// ERRNO and TRACE alike).
    pub fn ret(self, errno: Option<u32>) -> Option<u32> {
        Some(match self {
            Action::Allow => SECCOMP_RET_ALLOW,
            Action::Errno => SECCOMP_RET_ERRNO | (errno.unwrap_or(EPERM) & SECCOMP_RET_DATA),
            Action::KillThread => SECCOMP_RET_KILL_THREAD,
            Action::KillProcess => SECCOMP_RET_KILL_PROCESS,
            Action::Trap => SECCOMP_RET_TRAP,
            Action::Trace => SECCOMP_RET_TRACE | (errno.unwrap_or(EPERM) & SECCOMP_RET_DATA),
            Action::Log => SECCOMP_RET_LOG,
            Action::Notify => return None,
        })
    }
}
