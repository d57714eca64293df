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
    let caps: Vec<String> = opts.capabilities.iter().map(|c| normalize_cap(c)).collect();
    let has_cap = |c: &String| caps.contains(&normalize_cap(c));
    let go_arch = opts.arch.go_name();
    // Looked up only if a rule has minKernel: uname may be unavailable in tests.
    let mut kernel = opts.kernel;
    let mut kernel_at_least = |min: &str, field: &str| -> Result<bool, Error> {
        let min = KernelVersion::parse(min).map_err(|m| Error::invalid(field, m))?;
        let k = match kernel {
            Some(k) => k,
            None => {
                let k = KernelVersion::running().map_err(|m| Error::invalid(field, m))?;
                kernel = Some(k);
                k
            }
        };
        Ok(k >= min)
    };

    let default_ret = profile
        .default_action
        .ret(profile.default_errno_ret)
        .ok_or_else(|| unsupported_notify("defaultAction"))?;

    let mut rules = Vec::new();
    for (i, rule) in profile.syscalls.iter().enumerate() {
        let field = |f: &str| format!("syscalls[{i}].{f}");
        if let Some(ex) = &rule.excludes {
            if excluded(ex, go_arch, &has_cap, |m| {
                kernel_at_least(m, &field("excludes.minKernel"))
            })? {
                continue;
            }
        }
        if let Some(inc) = &rule.includes {
            if !included(inc, go_arch, &has_cap, |m| {
                kernel_at_least(m, &field("includes.minKernel"))
            })? {
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
        ) && default_ret != crate::action::RET_ERRNO | ENOSYS,
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

fn excluded(
    f: &Filter,
    go_arch: &str,
    has_cap: &impl Fn(&String) -> bool,
    mut kernel_at_least: impl FnMut(&str) -> Result<bool, Error>,
) -> Result<bool, Error> {
    if f.arches.iter().any(|a| a == go_arch) || f.caps.iter().any(has_cap) {
        return Ok(true);
    }
    match &f.min_kernel {
        Some(m) => kernel_at_least(m),
        None => Ok(false),
    }
}

fn included(
    f: &Filter,
    go_arch: &str,
    has_cap: &impl Fn(&String) -> bool,
    mut kernel_at_least: impl FnMut(&str) -> Result<bool, Error>,
) -> Result<bool, Error> {
    if !f.arches.is_empty() && !f.arches.iter().any(|a| a == go_arch) {
        return Ok(false);
    }
    if !f.caps.iter().all(has_cap) {
        return Ok(false);
    }
    match &f.min_kernel {
        Some(m) => kernel_at_least(m),
        None => Ok(true),
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
