//! skiff's libcontainer `Executor`: the last code that runs in the
//! container's init process before the workload replaces it.
//!
//! libcontainer built without its `libseccomp` feature (a C library that
//! would break the static build) silently ignores `linux.seccomp`, so the
//! filter is installed here, compiled to classic BPF by skiff-seccomp
//! before the container was cloned. By now libcontainer has set
//! no_new_privs if requested and dropped capabilities; when no_new_privs is
//! off the spec keeps CAP_SYS_ADMIN in the effective set only (not bounding),
//! just long enough for seccomp(2), and the kernel discards it at execve.
//!
//! It also maps exec failures to docker's exit codes: 127 when the command
//! does not exist, 126 when it cannot be executed.

use std::collections::HashMap;
use std::ffi::CString;
use std::sync::Arc;

use libcontainer::oci_spec::runtime::Spec;
use libcontainer::workload::{
    Executor, ExecutorError, ExecutorSetEnvsError, ExecutorValidationError,
};

/// A compiled seccomp program (classic BPF instructions).
pub type Filter = Arc<skiff_seccomp::Program>;

#[derive(Clone)]
pub struct SkiffExecutor {
    /// The seccomp program to install, or None (unconfined / privileged).
    pub filter: Option<Filter>,
    /// Bring up `lo` (a private network namespace starts with it down).
    pub loopback_up: bool,
    /// Capabilities held only for setup, to drop before execve.
    pub drop_after_setup: Vec<u32>,
    /// Run a minimal init as PID 1 that forwards signals and reaps zombies.
    pub init: bool,
}

impl Executor for SkiffExecutor {
    fn exec(&self, spec: &Spec) -> Result<(), ExecutorError> {
        let args: Vec<String> = spec
            .process()
            .as_ref()
            .and_then(|p| p.args().clone())
            .unwrap_or_default();
        if args.is_empty() {
            return Err(ExecutorError::InvalidArg);
        }
        // The runtime process blocks signals to read them from a signalfd;
        // the mask is inherited through clone, so clear it for the workload.
        crate::sig::unblock_all();
        // Rust ignores SIGPIPE in skiff; ignored dispositions survive
        // execve, so restore the defaults for the workload.
        crate::sig::reset_dispositions();
        if self.loopback_up {
            crate::netlo::bring_up_loopback();
        }
        if let Some(filter) = &self.filter {
            if let Err(e) = skiff_seccomp::install(filter) {
                fail(125, &format!("cannot install the seccomp filter: {e}"));
            }
        }
        drop_caps(&self.drop_after_setup);
        let cargs: Vec<CString> = args
            .iter()
            .map(|a| CString::new(a.as_bytes()).unwrap_or_default())
            .collect();
        if self.init {
            crate::init::run_as_init(&cargs);
        }
        exec_or_exit(&cargs)
    }

    /// Runs in the container (after pivot_root) before the start signal:
    /// a missing command fails the start itself, as with docker/runc, so
    /// `run -d` reports it too (the CLI maps the message to 127/126).
    fn validate(&self, spec: &Spec) -> Result<(), ExecutorValidationError> {
        let Some(process) = spec.process().as_ref() else {
            return Ok(());
        };
        let Some(name) = process.args().as_ref().and_then(|a| a.first()) else {
            return Ok(());
        };
        let path = process
            .env()
            .as_ref()
            .and_then(|e| e.iter().rev().find_map(|v| v.strip_prefix("PATH=")))
            .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        if name.contains('/') {
            if std::fs::symlink_metadata(name).is_err() && std::fs::metadata(name).is_err() {
                return Err(ExecutorValidationError::ArgValidationError(format!(
                    "exec: \"{name}\": stat {name}: no such file or directory"
                )));
            }
            return Ok(());
        }
        let found = path
            .split(':')
            .map(|d| std::path::Path::new(if d.is_empty() { "." } else { d }).join(name))
            .any(|p| std::fs::metadata(p).map(|m| m.is_file()).unwrap_or(false));
        if !found {
            return Err(ExecutorValidationError::ArgValidationError(format!(
                "exec: \"{name}\": executable file not found in $PATH"
            )));
        }
        Ok(())
    }

    fn setup_envs(&self, envs: HashMap<String, String>) -> Result<(), ExecutorSetEnvsError> {
        for (k, _) in std::env::vars_os() {
            // SAFETY: the container init is single threaded.
            unsafe { std::env::remove_var(k) };
        }
        for (k, v) in envs {
            // SAFETY: as above.
            unsafe { std::env::set_var(k, v) };
        }
        Ok(())
    }
}

/// execvp, or exit with docker's code and message.
pub fn exec_or_exit(args: &[CString]) -> ! {
    let err = nix::unistd::execvp(&args[0], args).unwrap_err();
    let name = args[0].to_string_lossy();
    match err {
        nix::errno::Errno::ENOENT => {
            if name.contains('/') {
                fail(
                    127,
                    &format!("exec: \"{name}\": stat {name}: no such file or directory"),
                )
            } else {
                fail(
                    127,
                    &format!("exec: \"{name}\": executable file not found in $PATH"),
                )
            }
        }
        nix::errno::Errno::EACCES | nix::errno::Errno::EISDIR => {
            fail(126, &format!("exec: \"{name}\": permission denied"))
        }
        e => fail(126, &format!("exec: \"{name}\": {}", e.desc())),
    }
}

fn fail(code: i32, msg: &str) -> ! {
    let line = format!("skiff: {msg}\n");
    // SAFETY: write(2) of a valid buffer to stderr, then _exit.
    unsafe {
        libc::write(2, line.as_ptr().cast(), line.len());
        libc::_exit(code)
    }
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_V3: u32 = 0x20080522;

/// Remove capabilities from the effective and permitted sets (best effort:
/// execve drops them anyway since they are outside the bounding set).
fn drop_caps(caps: &[u32]) {
    if caps.is_empty() {
        return;
    }
    let mut hdr = CapHeader {
        version: CAP_V3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget/capset with a v3 header and two data structs.
    unsafe {
        if libc::syscall(
            libc::SYS_capget,
            &mut hdr as *mut CapHeader,
            data.as_mut_ptr(),
        ) != 0
        {
            return;
        }
        for c in caps {
            let (i, bit) = ((*c / 32) as usize, 1u32 << (c % 32));
            if i < 2 {
                data[i].effective &= !bit;
                data[i].permitted &= !bit;
            }
        }
        libc::syscall(libc::SYS_capset, &mut hdr as *mut CapHeader, data.as_ptr());
    }
}
