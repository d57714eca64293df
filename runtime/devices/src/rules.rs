//! OCI `linux.resources.devices` entries, checked and reduced to what the
//! program generator needs.
//!
//! The meaning follows the kernel's cgroup v1 device controller, which is
//! what the OCI format was written for (runc's emulator follows it too):
//! - a rule of type `a` (or with no type) is a reset: it allows or denies
//!   every device with every access, whatever its numbers and access say;
//! - `c` and `u` are character devices, `b` block devices; `p` (FIFO) is
//!   refused, as the kernel refuses it;
//! - a missing major or minor, or -1, matches any number;
//! - access is any of `r`, `w`, `m`; an empty access matches nothing.

use oci_spec::runtime::{LinuxDeviceCgroup, LinuxDeviceType};

use crate::error::Error;

/// `BPF_DEVCG_ACC_*`: the access bits of `bpf_cgroup_dev_ctx.access_type`.
pub const ACC_MKNOD: u8 = 1;
pub const ACC_READ: u8 = 2;
pub const ACC_WRITE: u8 = 4;
pub const ACC_ALL: u8 = ACC_MKNOD | ACC_READ | ACC_WRITE;

/// `BPF_DEVCG_DEV_*`: the device type in `bpf_cgroup_dev_ctx.access_type`.
pub const DEV_BLOCK: u32 = 1;
pub const DEV_CHAR: u32 = 2;

/// One checked rule. `None` fields match anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub allow: bool,
    /// [`DEV_BLOCK`] or [`DEV_CHAR`].
    pub kind: Option<u32>,
    pub major: Option<u32>,
    pub minor: Option<u32>,
    /// `ACC_*` bits.
    pub access: u8,
}

impl Rule {
    /// What a type `a` allow rule means.
    pub const ALLOW_ALL: Rule = Rule {
        allow: true,
        kind: None,
        major: None,
        minor: None,
        access: ACC_ALL,
    };

    /// Whether the rule matches every device (it hides all rules before it).
    pub fn is_wildcard(&self) -> bool {
        self.kind.is_none() && self.major.is_none() && self.minor.is_none()
    }
}

/// Check and convert the spec's rules, in order.
pub fn parse(rules: &[LinuxDeviceCgroup]) -> Result<Vec<Rule>, Error> {
    rules
        .iter()
        .enumerate()
        .map(|(index, r)| {
            one(r).map_err(|message| Error::InvalidRule {
                index,
                message: message.to_string(),
            })
        })
        .collect()
}

fn one(r: &LinuxDeviceCgroup) -> Result<Rule, String> {
    let kind = match r.typ().unwrap_or(LinuxDeviceType::A) {
        LinuxDeviceType::A => {
            return Ok(Rule {
                allow: r.allow(),
                kind: None,
                major: None,
                minor: None,
                access: ACC_ALL,
            })
        }
        LinuxDeviceType::C | LinuxDeviceType::U => DEV_CHAR,
        LinuxDeviceType::B => DEV_BLOCK,
        LinuxDeviceType::P => return Err("type \"p\" (FIFO) has no device cgroup rules".into()),
    };
    Ok(Rule {
        allow: r.allow(),
        kind: Some(kind),
        major: number("major", r.major())?,
        minor: number("minor", r.minor())?,
        access: access(r.access().as_deref().unwrap_or(""))?,
    })
}

/// A device number as the program compares it: eBPF immediates are signed
/// 32-bit, and real numbers are far smaller (12-bit major, 20-bit minor).
fn number(what: &str, n: Option<i64>) -> Result<Option<u32>, String> {
    match n {
        None | Some(-1) => Ok(None),
        Some(v) if (0..=i64::from(i32::MAX)).contains(&v) => Ok(Some(v as u32)),
        Some(v) => Err(format!("{what} {v} is not a device number")),
    }
}

fn access(text: &str) -> Result<u8, String> {
    text.chars().try_fold(0u8, |bits, c| match c {
        'r' => Ok(bits | ACC_READ),
        'w' => Ok(bits | ACC_WRITE),
        'm' => Ok(bits | ACC_MKNOD),
        _ => Err(format!("access {text:?}: only r, w and m are allowed")),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use oci_spec::runtime::LinuxDeviceCgroupBuilder;

    /// Parse one rule written as `key=value` words.
    fn rule(spec: &str) -> Result<Vec<Rule>, Error> {
        parse(&[cgroup_rule(spec)])
    }

    pub(crate) fn cgroup_rule(spec: &str) -> LinuxDeviceCgroup {
        let mut b = LinuxDeviceCgroupBuilder::default();
        for field in spec.split_whitespace() {
            let (k, v) = field.split_once('=').unwrap();
            b = match k {
                "allow" => b.allow(v == "true"),
                "type" => b.typ(match v {
                    "a" => LinuxDeviceType::A,
                    "b" => LinuxDeviceType::B,
                    "c" => LinuxDeviceType::C,
                    "u" => LinuxDeviceType::U,
                    _ => LinuxDeviceType::P,
                }),
                "major" => b.major(v.parse::<i64>().unwrap()),
                "minor" => b.minor(v.parse::<i64>().unwrap()),
                "access" => b.access(v),
                _ => unreachable!(),
            };
        }
        b.build().unwrap()
    }

    #[test]
    fn wildcard_type_is_a_reset_whatever_its_other_fields() {
        let r = rule("allow=false access=r major=1").unwrap()[0];
        assert!(r.is_wildcard());
        assert_eq!(r.access, ACC_ALL);
        assert!(!r.allow);
        assert!(rule("allow=true type=a access=m").unwrap()[0].is_wildcard());
    }

    #[test]
    fn numbers_types_and_access() {
        let r = rule("allow=true type=c major=136 minor=-1 access=rwm").unwrap()[0];
        assert_eq!(
            r,
            Rule {
                allow: true,
                kind: Some(DEV_CHAR),
                major: Some(136),
                minor: None,
                access: ACC_ALL
            }
        );
        let r = rule("allow=true type=u major=1 minor=3").unwrap()[0];
        assert_eq!((r.kind, r.access), (Some(DEV_CHAR), 0));
        assert_eq!(rule("type=b access=w").unwrap()[0].kind, Some(DEV_BLOCK));
    }

    #[test]
    fn bad_rules_name_their_index() {
        for bad in [
            "type=p access=rwm",
            "type=c major=-2 access=r",
            "type=c minor=4294967296 access=r",
            "type=c access=rx",
        ] {
            let e = rule(bad).unwrap_err().to_string();
            assert!(e.starts_with("linux.resources.devices[0]: "), "{bad}: {e}");
        }
    }
}
