//! The one platform type (`linux/amd64`, `linux/arm/v7`) and the one
//! matcher, with containerd's normalisation (its `platforms` package):
//!
//! - `x86_64`/`x86-64` are `amd64`, and `amd64/v1` is plain `amd64`;
//! - `aarch64` is `arm64`, and `arm64/v8` (or `8`) is plain `arm64`: the
//!   two spellings are the same platform, so they compare equal;
//! - plain `arm` is `arm/v7`, `armhf` is `arm/v7`, `armel` is `arm/v6`,
//!   a bare digit variant gets its `v` (`arm/7` is `arm/v7`);
//! - `i386`/`i686` are `386`.
//!
//! Matching (what runs where): the OS and architecture must be equal; an
//! ARM host of level N runs ARM images of level N and below, preferring the
//! highest (a v7 Pi 2 runs a v6-only image; a v6 Pi Zero never gets v7).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A bad `--platform` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform \"{input}\": {reason}")]
pub struct PlatformError {
    pub input: String,
    pub reason: String,
}

/// An OS/architecture/variant triple in OCI spelling, always normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// The platform fields (`os`, `architecture`, `variant`) as an image
/// config or an index entry writes them, any missing one empty; a config
/// embeds it with `#[serde(flatten)]`, and [`ConfigPlatform::platform`]
/// normalises.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConfigPlatform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl ConfigPlatform {
    /// The normalised platform.
    pub fn platform(&self) -> Platform {
        Platform::new(&self.os, &self.architecture, self.variant.as_deref())
    }
}

impl Platform {
    /// A normalised platform from its parts (any spelling).
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
        let variant = variant
            .filter(|v| !v.is_empty())
            .map(str::to_ascii_lowercase);
        let (architecture, variant) = normalize_arch(&architecture.to_ascii_lowercase(), variant);
        Platform {
            os: os.to_ascii_lowercase(),
            architecture,
            variant,
        }
    }

    /// The platform this binary runs on. On 32-bit ARM the variant comes
    /// from /proc/cpuinfo, so an armv7 binary on an ARMv6 Pi picks v6.
    pub fn host() -> Platform {
        let arch = std::env::consts::ARCH;
        let variant = (arch == "arm").then(host_arm_variant);
        let arch = match arch {
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Platform::new("linux", arch, variant)
    }

    /// Parse docker's `--platform`: `os/arch[/variant]`, a bare architecture
    /// (`arm64`, meaning linux) or a bare OS (`linux`, meaning the host's
    /// architecture).
    pub fn parse(s: &str) -> Result<Platform, PlatformError> {
        let err = |reason: &str| PlatformError {
            input: s.to_string(),
            reason: reason.to_string(),
        };
        let lower = s.trim().to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) || parts.len() > 3 {
            return Err(err("expected os/arch[/variant], e.g. linux/arm64"));
        }
        let p = match parts.as_slice() {
            [one] if is_known_os(one) => {
                let host = Platform::host();
                Platform {
                    os: one.to_string(),
                    ..host
                }
            }
            [arch] => Platform::new("linux", arch, None),
            [os, arch] => Platform::new(os, arch, None),
            [os, arch, variant] => Platform::new(os, arch, Some(variant)),
            _ => return Err(err("expected os/arch[/variant], e.g. linux/arm64")),
        };
        if !is_known_os(&p.os) {
            return Err(err(&format!("unknown operating system \"{}\"", p.os)));
        }
        Ok(p)
    }

    /// Parse a comma-separated `--platform a,b,c` list, dropping duplicates
    /// (after normalisation) and keeping the order given.
    pub fn parse_list(s: &str) -> Result<Vec<Platform>, PlatformError> {
        let mut out: Vec<Platform> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let p = Platform::parse(part)?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        if out.is_empty() {
            return Err(PlatformError {
                input: s.to_string(),
                reason: "no platform given".into(),
            });
        }
        Ok(out)
    }

    /// How well an image for `candidate` serves `self` (the wanted
    /// platform): `None` if it cannot run, otherwise a rank, higher better.
    pub fn rank(&self, candidate: &Platform) -> Option<u32> {
        if self.os != candidate.os || self.architecture != candidate.architecture {
            return None;
        }
        if self.variant == candidate.variant {
            return Some(100);
        }
        if self.architecture == "arm" {
            // Both are normalised, so both have a variant.
            let want = arm_level(self.variant.as_deref()?)?;
            let got = arm_level(candidate.variant.as_deref()?)?;
            return (got <= want).then_some(got);
        }
        None
    }

    /// Whether an image for `candidate` runs where `self` is wanted.
    pub fn matches(&self, candidate: &Platform) -> bool {
        self.rank(candidate).is_some()
    }

    /// The platform spelled with arm64's implied `v8` (docker's image
    /// inspect and BuildKit's index entries for arm64 images spell it out).
    pub fn variant_or_implied(&self) -> Option<&str> {
        match (self.architecture.as_str(), &self.variant) {
            ("arm64", None) => Some("v8"),
            (_, v) => v.as_deref(),
        }
    }
}

/// The item of `items` that best runs on `want` (`platform_of` gives each
/// item's platform; items without one, like attestations, never match).
pub fn best_match<'a, T>(
    want: &Platform,
    items: &'a [T],
    platform_of: impl Fn(&T) -> Option<Platform>,
) -> Option<&'a T> {
    let mut best: Option<(u32, &T)> = None;
    for item in items {
        let Some(p) = platform_of(item) else { continue };
        if let Some(r) = want.rank(&p) {
            if best.is_none_or(|(b, _)| r > b) {
                best = Some((r, item));
            }
        }
    }
    best.map(|(_, item)| item)
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

impl FromStr for Platform {
    type Err = PlatformError;
    fn from_str(s: &str) -> Result<Platform, PlatformError> {
        Platform::parse(s)
    }
}

fn normalize_arch(arch: &str, variant: Option<String>) -> (String, Option<String>) {
    let v = variant.as_deref();
    let (a, v): (&str, Option<String>) = match arch {
        "i386" | "i686" | "386" => ("386", None),
        "x86_64" | "x86-64" | "amd64" => ("amd64", v.filter(|v| *v != "v1").map(Into::into)),
        "aarch64" | "arm64" => (
            "arm64",
            v.filter(|v| !matches!(*v, "8" | "v8")).map(Into::into),
        ),
        "armhf" => ("arm", Some("v7".into())),
        "armel" => ("arm", Some("v6".into())),
        "arm" => {
            let v = match v {
                None => "v7".to_string(),
                Some(v) if v.starts_with('v') => v.to_string(),
                Some(v) => format!("v{v}"),
            };
            ("arm", Some(v))
        }
        other => (other, v.map(Into::into)),
    };
    (a.to_string(), v)
}

fn arm_level(v: &str) -> Option<u32> {
    v.strip_prefix('v')?.parse().ok()
}

fn is_known_os(s: &str) -> bool {
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
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        Platform::parse(s).unwrap()
    }

    #[test]
    fn normalises_like_containerd() {
        for (input, want) in [
            ("linux/amd64", "linux/amd64"),
            ("linux/x86_64", "linux/amd64"),
            ("linux/amd64/v1", "linux/amd64"),
            ("linux/amd64/v3", "linux/amd64/v3"),
            ("linux/aarch64", "linux/arm64"),
            ("linux/arm64/v8", "linux/arm64"),
            ("linux/arm64/8", "linux/arm64"),
            ("linux/arm", "linux/arm/v7"),
            ("linux/arm/6", "linux/arm/v6"),
            ("linux/armhf", "linux/arm/v7"),
            ("linux/armel", "linux/arm/v6"),
            ("LINUX/ARM64", "linux/arm64"),
            ("arm64", "linux/arm64"),
            ("linux/i386", "linux/386"),
        ] {
            assert_eq!(p(input).to_string(), want, "{input}");
        }
        assert_eq!(p("linux").architecture, Platform::host().architecture);
        assert!(Platform::parse("linux/").is_err());
        assert!(Platform::parse("a/b/c/d").is_err());
        assert!(Platform::parse("beos/amd64").is_err());
        assert_eq!(
            Platform::parse_list("linux/amd64, linux/arm64/v8,linux/arm64").unwrap(),
            vec![p("linux/amd64"), p("linux/arm64")]
        );
    }

    // The registry's and the store's matchers used to disagree on ARM
    // variants (the store let an index entry without a variant match any
    // wanted one). This pins containerd's behaviour for both.
    #[test]
    fn arm_variants_match_downwards_only() {
        let entries = [
            ("unknown", None),
            ("v6", Some(p("linux/arm/v6"))),
            ("v7", Some(p("linux/arm/v7"))),
            ("x", Some(p("linux/amd64"))),
            ("a64", Some(Platform::new("linux", "arm64", Some("v8")))),
        ];
        let pick = |want: &str| best_match(&p(want), &entries, |e| e.1.clone()).map(|e| e.0);
        assert_eq!(pick("linux/arm/v7"), Some("v7"));
        assert_eq!(pick("linux/arm/v6"), Some("v6"));
        assert_eq!(pick("linux/arm/v5"), None);
        assert_eq!(pick("linux/amd64"), Some("x"));
        assert_eq!(pick("linux/arm64"), Some("a64"));
        assert_eq!(pick("linux/arm64/v8"), Some("a64"));
        assert_eq!(pick("linux/s390x"), None);
        // A v7 host takes a v6-only image; a v6 host never takes v7, and an
        // arm entry without a variant is v7.
        assert!(p("linux/arm/v7").matches(&p("linux/arm/v6")));
        assert!(!p("linux/arm/v6").matches(&p("linux/arm/v7")));
        assert!(!p("linux/arm/v6").matches(&Platform::new("linux", "arm", None)));
        assert!(!p("linux/amd64").matches(&p("linux/amd64/v3")));
        assert_eq!(p("linux/arm64").variant_or_implied(), Some("v8"));
    }

    #[test]
    fn cpuinfo_variants() {
        let v = arm_variant_from_cpuinfo;
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
