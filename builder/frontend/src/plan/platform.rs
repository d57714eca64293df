//! OS/architecture platforms (`linux/arm64`, `linux/arm/v7`) and the
//! automatic platform build args.

use std::fmt;

use crate::shell::EnvList;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn new(os: &str, arch: &str, variant: Option<&str>) -> Platform {
        Platform {
            os: os.to_string(),
            arch: arch.to_string(),
            variant: variant.map(str::to_string),
        }
    }

    /// The platform skiff runs on: x86_64 → linux/amd64, aarch64 →
    /// linux/arm64, arm → linux/arm/v7.
    pub fn host() -> Platform {
        match std::env::consts::ARCH {
            "x86_64" => Platform::new("linux", "amd64", None),
            "aarch64" => Platform::new("linux", "arm64", None),
            "arm" => Platform::new("linux", "arm", Some("v7")),
            "x86" => Platform::new("linux", "386", None),
            "riscv64" => Platform::new("linux", "riscv64", None),
            "powerpc64" => Platform::new("linux", "ppc64le", None),
            "s390x" => Platform::new("linux", "s390x", None),
            other => Platform::new("linux", other, None),
        }
    }

    /// Parse `os[/arch[/variant]]` (or a bare arch like `arm64`), normalised
    /// the way containerd does (`aarch64` → `arm64`, `x86_64` → `amd64`,
    /// `armhf` → `arm/v7`).
    pub fn parse(s: &str) -> Result<Platform, String> {
        let lower = s.trim().to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) || parts.len() > 3 {
            return Err(format!(
                "invalid platform \"{s}\": expected os/arch[/variant]"
            ));
        }
        let (os, arch, variant) = match parts.as_slice() {
            [one] if is_os(one) => (one.to_string(), Platform::host().arch, None),
            [one] => ("linux".to_string(), one.to_string(), None),
            [os, arch] => (os.to_string(), arch.to_string(), None),
            [os, arch, v] => (os.to_string(), arch.to_string(), Some(v.to_string())),
            _ => unreachable!("length checked above"),
        };
        if !is_os(&os) {
            return Err(format!(
                "invalid platform \"{s}\": unknown operating system \"{os}\""
            ));
        }
        let (arch, variant) = normalize_arch(&arch, variant);
        Ok(Platform { os, arch, variant })
    }

    /// The eight automatic args for a (target, build) platform pair.
    pub fn automatic_args(target: &Platform, build: &Platform) -> EnvList {
        let v = |p: &Platform| p.variant.clone().unwrap_or_default();
        EnvList::from_pairs(vec![
            ("TARGETPLATFORM".into(), target.to_string()),
            ("TARGETOS".into(), target.os.clone()),
            ("TARGETARCH".into(), target.arch.clone()),
            ("TARGETVARIANT".into(), v(target)),
            ("BUILDPLATFORM".into(), build.to_string()),
            ("BUILDOS".into(), build.os.clone()),
            ("BUILDARCH".into(), build.arch.clone()),
            ("BUILDVARIANT".into(), v(build)),
        ])
    }
}

fn is_os(s: &str) -> bool {
    matches!(
        s,
        "linux"
            | "windows"
            | "darwin"
            | "freebsd"
            | "netbsd"
            | "openbsd"
            | "solaris"
            | "illumos"
            | "android"
            | "ios"
            | "plan9"
            | "aix"
            | "dragonfly"
            | "js"
            | "wasip1"
    )
}

fn normalize_arch(arch: &str, variant: Option<String>) -> (String, Option<String>) {
    match (arch, variant.as_deref()) {
        ("i386", _) => ("386".into(), None),
        ("x86_64" | "x86-64" | "amd64", Some("v1")) => ("amd64".into(), None),
        ("x86_64" | "x86-64", v) => ("amd64".into(), v.map(str::to_string)),
        ("aarch64" | "arm64", Some("8" | "v8")) => ("arm64".into(), None),
        ("aarch64", v) => ("arm64".into(), v.map(str::to_string)),
        ("armhf", _) => ("arm".into(), Some("v7".into())),
        ("armel", _) => ("arm".into(), Some("v6".into())),
        ("arm", None) => ("arm".into(), Some("v7".into())),
        ("arm", Some(v)) => (
            "arm".into(),
            Some(if v.starts_with('v') {
                v.to_string()
            } else {
                format!("v{v}")
            }),
        ),
        (a, v) => (a.to_string(), v.map(str::to_string)),
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}
