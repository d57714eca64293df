//! docker's profile resolution: which rules apply to a container.
//!
//! Mirrors moby's `setupSeccomp`: `includes` needs every listed cap in the
//! container's (bounding) capability set, the native arch among `arches` and
//! a kernel at least `minKernel`; `excludes` drops the rule if any listed cap
//! is held, the native arch is listed, or the kernel is at least `minKernel`.
//! The result is what docker hands to runc as OCI `linux.seccomp`; runc's own
//! conversion quirks (errno defaults, redundant rules, repeated argument
//! indexes) are applied here too.

use crate::action::Action;
use crate::arch::{Abi, Arch};
use crate::error::Error;
use crate::kernel::KernelVersion;
use crate::profile::{ArgRule, Filter, Profile};
use crate::CompileOptions;

const ENOSYS: u32 = 38;

/// A profile resolved for one container on one host.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// SECCOMP_RET_* of the default action.
    pub default_ret: u32,
    /// Native ABI first, then the compat ABIs the profile covers.
    pub abis: Vec<Abi>,
    pub rules: Vec<ResolvedRule>,
    pub flags: u32,
    /// runc's "-ENOSYS stub": syscalls numbered above every syscall the
    /// profile names (on that ABI) fail with ENOSYS instead of the default
    /// action, so libcs fall back from syscalls newer than the profile.
    /// Only for restrictive default actions, as runc does.
    pub enosys_above_known: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ResolvedRule {
    pub names: Vec<String>,
    pub ret: u32,
    pub args: Vec<ArgRule>,
}

/// `CAP_SYS_ADMIN`, `cap_sys_admin` and `SYS_ADMIN` all name one capability.
fn normalize_cap(cap: &str) -> String {
    let upper = cap.trim().to_ascii_uppercase();
    if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    }
}

pub(crate) fn resolve(profile: &Profile, opts: &CompileOptions<'_>) -> Result<Resolved, Error> {
    let mut host = Host {
        caps: opts.capabilities.iter().map(|c| normalize_cap(c)).collect(),
        go_arch: opts.arch.go_name(),
        kernel: opts.kernel,
    };

    let default_ret = profile
        .default_action
        .ret(profile.default_errno_ret)
        .ok_or_else(|| unsupported_notify("defaultAction"))?;

    let mut rules = Vec::new();
    for (i, rule) in profile.syscalls.iter().enumerate() {
        let field = |f: &str| format!("syscalls[{i}].{f}");
        if let Some(ex) = &rule.excludes {
            if host.excluded(ex, &field("excludes.minKernel"))? {
                continue;
            }
        }
        if let Some(inc) = &rule.includes {
            if !host.included(inc, &field("includes.minKernel"))? {
                continue;
            }
        }
        // runc: a rule's own errnoRet, else EPERM (defaultErrnoRet is for
        // the default action only).
        let ret = rule
            .action
            .ret(rule.errno_ret)
            .ok_or_else(|| unsupported_notify(&field("action")))?;
        // runc drops rules that do what the default does.
        if ret == default_ret {
            continue;
        }
        let names: Vec<String> = Profile::rule_names(rule).map(str::to_owned).collect();
        // runc: when two conditions test the same argument, each condition
        // becomes a rule of its own (they are ORed, not ANDed).
        let mut indexes: Vec<u32> = rule.args.iter().map(|a| a.index).collect();
        indexes.sort_unstable();
        let repeated = indexes.windows(2).any(|w| w[0] == w[1]);
        if repeated {
            for arg in &rule.args {
                rules.push(ResolvedRule {
                    names: names.clone(),
                    ret,
                    args: vec![arg.clone()],
                });
            }
        } else {
            rules.push(ResolvedRule {
                names,
                ret,
                args: rule.args.clone(),
            });
        }
    }

    Ok(Resolved {
        default_ret,
        enosys_above_known: !matches!(
            profile.default_action,
            Action::Allow | Action::Log | Action::Trace
        ) && default_ret != libc::SECCOMP_RET_ERRNO | ENOSYS,
        abis: abis(profile, opts.arch),
        rules,
        flags: profile
            .flags
            .iter()
            .filter_map(|f| crate::install::flag_value(f))
            .fold(0, |a, b| a | b),
    })
}

fn unsupported_notify(field: &str) -> Error {
    Error::invalid(
        field,
        "SCMP_ACT_NOTIFY needs a seccomp listener, which skiff does not provide",
    )
}

/// What a rule's `includes` / `excludes` test: the container's
/// capabilities (normalized), the native arch and the running kernel.
struct Host {
    caps: Vec<String>,
    go_arch: &'static str,
    /// Looked up only if a rule has minKernel: uname may be unavailable in
    /// tests.
    kernel: Option<KernelVersion>,
}

impl Host {
    fn has_cap(&self, cap: &str) -> bool {
        self.caps.contains(&normalize_cap(cap))
    }

    /// `excludes`: any listed arch or cap, or a kernel at least minKernel.
    fn excluded(&mut self, f: &Filter, field: &str) -> Result<bool, Error> {
        if f.arches.iter().any(|a| a == self.go_arch) || f.caps.iter().any(|c| self.has_cap(c)) {
            return Ok(true);
        }
        self.min_kernel(f, field, false)
    }

    /// `includes`: the arch listed (if any are), every cap held, and a
    /// kernel at least minKernel.
    fn included(&mut self, f: &Filter, field: &str) -> Result<bool, Error> {
        if !f.arches.is_empty() && !f.arches.iter().any(|a| a == self.go_arch) {
            return Ok(false);
        }
        if !f.caps.iter().all(|c| self.has_cap(c)) {
            return Ok(false);
        }
        self.min_kernel(f, field, true)
    }

    /// The filter's minKernel against the running kernel; `unset` when it
    /// names none.
    fn min_kernel(&mut self, f: &Filter, field: &str, unset: bool) -> Result<bool, Error> {
        let Some(min) = &f.min_kernel else {
            return Ok(unset);
        };
        let min = KernelVersion::parse(min).map_err(|m| Error::invalid(field, m))?;
        let running = match self.kernel {
            Some(k) => k,
            None => {
                let k = KernelVersion::running().map_err(|m| Error::invalid(field, m))?;
                self.kernel = Some(k);
                k
            }
        };
        Ok(running >= min)
    }
}

/// The ABIs the filter covers: the native one always (libseccomp adds it),
/// plus `architectures`, or the `archMap` entry of the native arch, limited
/// to ABIs this kernel can run at all.
fn abis(profile: &Profile, arch: Arch) -> Vec<Abi> {
    let native = arch.native_abi();
    let mut names: Vec<&str> = profile.architectures.iter().map(String::as_str).collect();
    for entry in &profile.arch_map {
        if entry.architecture == native.scmp_name() {
            names.extend(entry.sub_architectures.iter().map(String::as_str));
        }
    }
    let mut out = vec![native];
    for abi in arch.compat_abis() {
        if names.contains(&abi.scmp_name()) {
            out.push(*abi);
        }
    }
    out
}
