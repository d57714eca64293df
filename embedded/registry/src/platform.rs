//! Platform choice in an image index. oci-client's own resolver ignores the
//! variant (arm v6 vs v7) and only knows the compiled target, so skiff reads
//! the index itself and picks the entry here.

use std::fmt;

use serde::Deserialize;

use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
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

impl Platform {
    /// Parse `os/arch[/variant]` as `--platform` takes it (`linux/arm/v7`,
    /// `linux/amd64`); the os may be omitted (`arm64`), as docker allows.
    pub fn parse(s: &str) -> Result<Platform, Error> {
        let bad = || {
            Error::Platform(format!(
                "invalid platform {s:?}: expected os/arch[/variant]"
            ))
        };
        let parts: Vec<&str> = s.trim().split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        let (os, arch, variant) = match parts.as_slice() {
            [arch] => ("linux", *arch, None),
            [os, arch] => (*os, *arch, None),
            [os, arch, v] => (*os, *arch, Some(v.to_ascii_lowercase())),
            _ => return Err(bad()),
        };
        Ok(Platform::normalized(
            &os.to_ascii_lowercase(),
            &arch.to_ascii_lowercase(),
            variant,
        ))
    }

    /// docker's normalisation: `x86_64` is amd64, `aarch64` arm64 (variant
    /// v8 by default), `armhf` arm/v7, `armel` arm/v6, plain `arm` v7.
    pub fn normalized(os: &str, arch: &str, variant: Option<String>) -> Platform {
        let (arch, variant) = match arch {
            "x86_64" | "x86-64" => ("amd64", variant),
            "aarch64" | "arm64" => ("arm64", variant.filter(|v| v != "v8")),
            "armhf" => ("arm", Some("v7".into())),
            "armel" => ("arm", Some("v6".into())),
            "arm" => ("arm", Some(variant.unwrap_or_else(|| "v7".into()))),
            "i386" | "i686" => ("386", variant),
            other => (other, variant),
        };
        Platform {
            os: os.to_string(),
            architecture: arch.to_string(),
            variant,
        }
    }

    /// The platform skiff itself runs on.
    pub fn host() -> Platform {
        let arch = std::env::consts::ARCH;
        let variant = (arch == "arm").then(|| skiff_store::host_arm_variant().to_string());
        Platform::normalized(std::env::consts::OS, arch, variant)
    }

    /// How well an index entry's platform serves `self`: `None` if it
    /// cannot run here, otherwise a rank (higher is better). An arm/v7 host
    /// also runs v6 and v5 images, preferring the newest.
    fn rank(&self, p: &Platform) -> Option<u32> {
        if p.os != self.os || p.architecture != self.architecture {
            return None;
        }
        match (&self.variant, &p.variant) {
            (None, None) => Some(100),
            (None, Some(_)) => Some(50),
            (Some(w), Some(g)) if w == g => Some(100),
            (Some(w), got) if self.architecture == "arm" => {
                let want = arm_level(w)?;
                let got = match got {
                    Some(g) => arm_level(g)?,
                    None => 7,
                };
                (got <= want).then_some(got)
            }
            (Some(_), None) => Some(10),
            _ => None,
        }
    }
}

fn arm_level(v: &str) -> Option<u32> {
    v.strip_prefix('v')?.parse().ok()
}

/// One entry of an OCI image index or docker manifest list.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexEntry {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub platform: Option<EntryPlatform>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EntryPlatform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl EntryPlatform {
    pub fn platform(&self) -> Platform {
        let variant = self.variant.clone().filter(|v| !v.is_empty());
        Platform::normalized(&self.os, &self.architecture, variant)
    }
}

/// Pick the entry of `entries` that best runs on `want`; entries without a
/// platform (attestations, `unknown/unknown`) never match.
pub fn choose<'a>(entries: &'a [IndexEntry], want: &Platform) -> Option<&'a IndexEntry> {
    let mut best: Option<(u32, &IndexEntry)> = None;
    for e in entries {
        let Some(p) = &e.platform else { continue };
        if let Some(r) = want.rank(&p.platform()) {
            if best.is_none_or(|(b, _)| r > b) {
                best = Some((r, e));
            }
        }
    }
    best.map(|(_, e)| e)
}

/// The platforms an index offers, for the "no matching manifest" error.
pub fn offered(entries: &[IndexEntry]) -> String {
    let v: Vec<String> = entries
        .iter()
        .filter_map(|e| e.platform.as_ref().map(|p| p.platform().to_string()))
        .collect();
    v.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(digest: &str, os: &str, arch: &str, variant: Option<&str>) -> IndexEntry {
        IndexEntry {
            media_type: String::new(),
            digest: digest.into(),
            size: 1,
            platform: Some(EntryPlatform {
                architecture: arch.into(),
                os: os.into(),
                variant: variant.map(Into::into),
            }),
        }
    }

    #[test]
    fn parse_and_normalise() {
        assert_eq!(
            Platform::parse("linux/amd64").unwrap().to_string(),
            "linux/amd64"
        );
        assert_eq!(
            Platform::parse("linux/arm64/v8").unwrap().to_string(),
            "linux/arm64"
        );
        assert_eq!(
            Platform::parse("linux/arm").unwrap().to_string(),
            "linux/arm/v7"
        );
        assert_eq!(Platform::parse("arm64").unwrap().to_string(), "linux/arm64");
        assert!(Platform::parse("linux/").is_err());
        assert!(Platform::parse("a/b/c/d").is_err());
    }

    #[test]
    fn variant_is_honoured() {
        let idx = vec![
            entry("a", "unknown", "unknown", None),
            entry("v6", "linux", "arm", Some("v6")),
            entry("v7", "linux", "arm", Some("v7")),
            entry("x", "linux", "amd64", None),
            entry("a64", "linux", "arm64", Some("v8")),
        ];
        let pick = |p: &str| choose(&idx, &Platform::parse(p).unwrap()).map(|e| e.digest.as_str());
        assert_eq!(pick("linux/arm/v7"), Some("v7"));
        assert_eq!(pick("linux/arm/v6"), Some("v6"));
        assert_eq!(pick("linux/arm/v5"), None);
        assert_eq!(pick("linux/amd64"), Some("x"));
        assert_eq!(pick("linux/arm64"), Some("a64"));
        assert_eq!(pick("linux/s390x"), None);
        // A v8 host takes a v6-only index's v6 image.
        let only_v6 = vec![entry("v6", "linux", "arm", Some("v6"))];
        assert_eq!(
            choose(&only_v6, &Platform::parse("linux/arm/v7").unwrap()).map(|e| e.digest.as_str()),
            Some("v6")
        );
    }
}
