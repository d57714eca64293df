//! The docker seccomp profile format, as parsed from JSON.
//!
//! This is moby's `seccomp.Seccomp` type: the OCI `linux.seccomp` fields plus
//! docker's extensions (`archMap`, per-rule `includes`/`excludes`, `name`,
//! `comment`). An OCI runtime-spec `linux.seccomp` object is a valid profile
//! too. Unknown fields are ignored, as Go's `encoding/json` does, and a
//! missing `Option` field is `None` (serde's rule, no attribute needed).

use serde::Deserialize;

use crate::action::Action;
use crate::error::Error;

/// docker's default profile (moby/profiles `seccomp/default.json`, Apache-2.0),
/// embedded so a static binary on a bare host needs no file at run time.
pub const DOCKER_DEFAULT_JSON: &str = include_str!("../profiles/docker-default.json");

/// A parsed seccomp profile. Resolve and compile it with [`Profile::compile`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub default_action: Action,
    pub default_errno_ret: Option<u32>,
    /// Explicit list of libseccomp arch names (`SCMP_ARCH_X86_64`...).
    /// docker refuses a profile with both this and `archMap`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub architectures: Vec<String>,
    /// Native arch → sub-architectures whose syscalls the filter also covers.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub arch_map: Vec<ArchMapEntry>,
    /// seccomp(2) filter flags by name (`SECCOMP_FILTER_FLAG_LOG`...).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub flags: Vec<String>,
    pub listener_path: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub syscalls: Vec<SyscallRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchMapEntry {
    pub architecture: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub sub_architectures: Vec<String>,
}

/// One entry of `syscalls[]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyscallRule {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub names: Vec<String>,
    /// Legacy single-name form; docker refuses it together with `names`.
    pub name: Option<String>,
    pub action: Action,
    pub errno_ret: Option<u32>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub args: Vec<ArgRule>,
    pub comment: Option<String>,
    pub includes: Option<Filter>,
    pub excludes: Option<Filter>,
}

/// `includes` / `excludes`: conditions on the container, not the syscall.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    /// Capability names (`CAP_SYS_ADMIN`), matched against the bounding set.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub caps: Vec<String>,
    /// Go arch names (`amd64`, `arm64`, `arm`...), matched against the native arch.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub arches: Vec<String>,
    /// `"4.8"`: matched against the running kernel.
    pub min_kernel: Option<String>,
}

/// One argument comparison; all of a rule's `args` must hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArgRule {
    pub index: u32,
    pub value: u64,
    #[serde(default)]
    pub value_two: u64,
    pub op: ArgOp,
}

/// libseccomp's comparison operators. All compare unsigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum ArgOp {
    #[serde(rename = "SCMP_CMP_NE")]
    Ne,
    #[serde(rename = "SCMP_CMP_LT")]
    Lt,
    #[serde(rename = "SCMP_CMP_LE")]
    Le,
    #[serde(rename = "SCMP_CMP_EQ")]
    Eq,
    #[serde(rename = "SCMP_CMP_GE")]
    Ge,
    #[serde(rename = "SCMP_CMP_GT")]
    Gt,
    /// `(arg & value) == valueTwo`.
    #[serde(rename = "SCMP_CMP_MASKED_EQ")]
    MaskedEq,
}

impl ArgOp {
    /// The comparison on full-width values (the reference semantics).
    pub fn holds(self, arg: u64, value: u64, value_two: u64) -> bool {
        match self {
            ArgOp::Ne => arg != value,
            ArgOp::Lt => arg < value,
            ArgOp::Le => arg <= value,
            ArgOp::Eq => arg == value,
            ArgOp::Ge => arg >= value,
            ArgOp::Gt => arg > value,
            ArgOp::MaskedEq => arg & value == value_two,
        }
    }
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

impl Profile {
    /// docker's default profile.
    pub fn docker_default() -> Profile {
        // The embedded JSON is checked by a test; parsing it cannot fail.
        Profile::from_json(DOCKER_DEFAULT_JSON.as_bytes())
            .unwrap_or_else(|e| unreachable!("embedded docker-default.json: {e}"))
    }

    /// Parses a docker (or OCI `linux.seccomp`) profile. Errors name the JSON
    /// path of the offending field, e.g. `syscalls[3].args[0].op`.
    pub fn from_json(json: &[u8]) -> Result<Profile, Error> {
        let de = &mut serde_json::Deserializer::from_slice(json);
        let profile: Profile = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            Error::Parse {
                path: if path == "." {
                    "top level".into()
                } else {
                    path
                },
                message: e.inner().to_string(),
            }
        })?;
        profile.validate()?;
        Ok(profile)
    }

    /// The structural checks docker makes when it loads a profile.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if !self.architectures.is_empty() && !self.arch_map.is_empty() {
            return Err(Error::invalid(
                "architectures",
                "both 'architectures' and 'archMap' are specified; use one",
            ));
        }
        for (i, rule) in self.syscalls.iter().enumerate() {
            if rule.name.is_some() && !rule.names.is_empty() {
                return Err(Error::invalid(
                    format!("syscalls[{i}].name"),
                    "both 'name' and 'names' are specified; use one",
                ));
            }
            for (j, arg) in rule.args.iter().enumerate() {
                if arg.index > 5 {
                    return Err(Error::invalid(
                        format!("syscalls[{i}].args[{j}].index"),
                        format!(
                            "{} is out of range (a syscall has 6 arguments, 0-5)",
                            arg.index
                        ),
                    ));
                }
            }
            for (what, filter) in [("includes", &rule.includes), ("excludes", &rule.excludes)] {
                if let Some(v) = filter.as_ref().and_then(|f| f.min_kernel.as_deref()) {
                    crate::kernel::KernelVersion::parse(v).map_err(|m| {
                        Error::invalid(format!("syscalls[{i}].{what}.minKernel"), m)
                    })?;
                }
            }
        }
        for (i, f) in self.flags.iter().enumerate() {
            crate::install::flag_value(f).ok_or_else(|| {
                Error::invalid(format!("flags[{i}]"), format!("unknown flag {f:?}"))
            })?;
        }
        Ok(())
    }

    /// All syscall names of a rule (`names` plus the legacy `name`).
    pub(crate) fn rule_names(rule: &SyscallRule) -> impl Iterator<Item = &str> {
        rule.names
            .iter()
            .map(String::as_str)
            .chain(rule.name.as_deref())
    }
}
