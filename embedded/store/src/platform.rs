//! Platforms (`linux/amd64`, `linux/arm/v7`) and choosing a manifest from an
//! index by platform.

use std::fmt;

use crate::error::{Error, Result};

/// An OS/architecture/variant triple in OCI spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// The platform this binary runs on.
    pub fn host() -> Platform {
        let (arch, variant) = match std::env::consts::ARCH {
            "x86_64" => ("amd64", None),
            "aarch64" => ("arm64", Some("v8")),
            "arm" => ("arm", Some(host_arm_variant())),
            "x86" => ("386", None),
            "powerpc64" => ("ppc64le", None),
            "riscv64" => ("riscv64", None),
            "s390x" => ("s390x", None),
            other => (other, None),
        };
        Platform {
            os: "linux".into(),
            architecture: arch.into(),
            variant: variant.map(str::to_string),
        }
    }

    /// Parse `os/arch[/variant]` (docker's `--platform`).
    pub fn parse(s: &str) -> Result<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad = || {
            Error::InvalidImage(format!(
                "invalid platform {s:?}: expected os/arch[/variant], e.g. linux/arm64"
            ))
        };
        if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        let mut arch = parts[1].to_ascii_lowercase();
        let mut variant = parts.get(2).map(|v| v.to_ascii_lowercase());
        // Normalise the usual aliases the way containerd does.
        match arch.as_str() {
            "x86_64" | "x86-64" => arch = "amd64".into(),
            "aarch64" => {
                arch = "arm64".into();
                if variant.as_deref() == Some("8") {
                    variant = Some("v8".into());
                }
            }
            "armhf" => {
                arch = "arm".into();
                variant = Some("v7".into());
            }
            "armel" => {
                arch = "arm".into();
                variant = Some("v6".into());
            }
            _ => {}
        }
        Ok(Platform {
            os: parts[0].to_ascii_lowercase(),
            architecture: arch,
            variant,
        })
    }

    /// Whether a manifest for (`os`, `arch`, `variant`) runs here. An arm64
    /// manifest without variant counts as v8; a missing variant in the index
    /// matches any wanted variant (many images omit it).
    pub fn matches(&self, os: &str, arch: &str, variant: Option<&str>) -> bool {
        if self.os != os || self.architecture != arch {
            return false;
        }
        let norm = |v: Option<&str>| -> Option<String> {
            match (arch, v) {
                ("arm64", None) => Some("v8".into()),
                (_, v) => v.map(str::to_string),
            }
        };
        match (norm(self.variant.as_deref()), norm(variant)) {
            (_, None) | (None, _) => true,
            (Some(a), Some(b)) => a == b,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let p = Platform::parse("linux/arm64").unwrap();
        assert!(p.matches("linux", "arm64", Some("v8")));
        assert!(p.matches("linux", "arm64", None));
        let p = Platform::parse("linux/arm/v7").unwrap();
        assert!(!p.matches("linux", "arm", Some("v6")));
        assert!(Platform::parse("linux").is_err());
        assert_eq!(
            Platform::parse("linux/x86_64").unwrap().to_string(),
            "linux/amd64"
        );
    }
}

/// The ARM variant of this host: from /proc/cpuinfo, so an armv7 binary on a
/// Raspberry Pi 1 or Zero (ARMv6) still picks v6 images, falling back to what
/// the binary was compiled for.
pub fn host_arm_variant() -> &'static str {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| arm_variant_from_cpuinfo(&t))
        .unwrap_or(if cfg!(target_feature = "v7") {
            "v7"
        } else {
            "v6"
        })
}

/// `v6` or `v7` from a /proc/cpuinfo text; `None` if it names no ARM core.
pub fn arm_variant_from_cpuinfo(cpuinfo: &str) -> Option<&'static str> {
    let field = |name: &str| {
        cpuinfo.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_ascii_lowercase())
        })
    };
    // Pi 1/Zero kernels may report "CPU architecture: 7" with an ARMv6 model.
    if field("model name").is_some_and(|m| m.starts_with("armv6")) {
        return Some("v6");
    }
    match field("CPU architecture")?.as_str() {
        "5" | "5t" | "5te" | "5tej" | "6" | "6tej" => Some("v6"),
        // 7, and 8: a 64-bit core running a 32-bit userland.
        _ => Some("v7"),
    }
}

#[cfg(test)]
mod arm_variant_tests {
    use super::arm_variant_from_cpuinfo as v;

    #[test]
    fn cpuinfo_variants() {
        assert_eq!(
            v("model name\t: ARMv6-compatible processor rev 7 (v6l)\nCPU architecture: 7\n"),
            Some("v6")
        );
        assert_eq!(
            v("model name\t: ARMv7 Processor rev 4 (v7l)\nCPU architecture: 7\n"),
            Some("v7")
        );
        assert_eq!(v("CPU architecture: 8\n"), Some("v7"));
        assert_eq!(v("CPU architecture: 6TEJ\n"), Some("v6"));
        assert_eq!(v("processor\t: 0\nvendor_id\t: GenuineIntel\n"), None);
    }
}
