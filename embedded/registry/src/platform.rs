//! Platform choice in an image index. oci-client's own resolver ignores the
//! variant (arm v6 vs v7) and only knows the compiled target, so skiff reads
//! the index itself and picks the entry here.

use serde::Deserialize;
use skiff_core::platform::ConfigPlatform;
pub use skiff_core::Platform;

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
    pub platform: Option<ConfigPlatform>,
}

/// Pick the entry of `entries` that best runs on `want`; entries without a
/// platform (attestations, `unknown/unknown`) never match.
pub fn choose<'a>(entries: &'a [IndexEntry], want: &Platform) -> Option<&'a IndexEntry> {
    skiff_core::platform::best_match(want, entries, |e| {
        e.platform.as_ref().map(ConfigPlatform::platform)
    })
}

/// The platforms an index offers, for the "no matching manifest" error.
pub fn offered(entries: &[IndexEntry]) -> String {
    let v: Vec<String> = entries
        .iter()
        .filter_map(|e| e.platform.as_ref().map(ConfigPlatform::platform))
        // Attestation manifests (`unknown/unknown`) are no platform.
        .filter(|p| p.os != "unknown")
        .map(|p| skiff_store::spelled(&p))
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
            platform: Some(ConfigPlatform {
                architecture: arch.into(),
                os: os.into(),
                variant: variant.map(Into::into),
            }),
        }
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
        // A v7 host takes a v6-only index's v6 image.
        let only_v6 = vec![entry("v6", "linux", "arm", Some("v6"))];
        assert_eq!(
            choose(&only_v6, &Platform::parse("linux/arm/v7").unwrap()).map(|e| e.digest.as_str()),
            Some("v6")
        );
        // containerd's rule (this crate used to be lenient): an amd64 host
        // does not take an amd64/v3-only entry, and an arm entry without a
        // variant is v7, so a v6 host does not take it.
        let v3 = vec![entry("v3", "linux", "amd64", Some("v3"))];
        assert!(choose(&v3, &Platform::parse("linux/amd64").unwrap()).is_none());
        let plain_arm = vec![entry("arm", "linux", "arm", None)];
        assert_eq!(
            choose(&plain_arm, &Platform::parse("linux/arm/v6").unwrap())
                .map(|e| e.digest.as_str()),
            None
        );
        assert_eq!(offered(&plain_arm), "linux/arm/v7");
    }
}
