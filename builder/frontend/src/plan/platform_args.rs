//! The automatic platform build args (TARGETPLATFORM ... BUILDVARIANT).
//!
//! The platform type itself is [`skiff_core::Platform`]: its containerd
//! normalisation is what BuildKit shows, e.g. `linux/arm64/v8` becomes
//! `linux/arm64` with an empty TARGETVARIANT, and `linux/arm` gets `v7`.

use skiff_core::Platform;

use crate::shell::EnvList;

/// The eight automatic args for a (target, build) platform pair.
pub fn automatic_args(target: &Platform, build: &Platform) -> EnvList {
    let v = |p: &Platform| p.variant.clone().unwrap_or_default();
    EnvList::from_pairs(vec![
        ("TARGETPLATFORM".into(), target.to_string()),
        ("TARGETOS".into(), target.os.clone()),
        ("TARGETARCH".into(), target.architecture.clone()),
        ("TARGETVARIANT".into(), v(target)),
        ("BUILDPLATFORM".into(), build.to_string()),
        ("BUILDOS".into(), build.os.clone()),
        ("BUILDARCH".into(), build.architecture.clone()),
        ("BUILDVARIANT".into(), v(build)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    // BuildKit: an arm64 target has an empty TARGETVARIANT even when asked
    // for as linux/arm64/v8, and plain arm means arm/v7.
    #[test]
    fn arm_variants_as_buildkit_shows_them() {
        let host = Platform::new("linux", "amd64", None);
        let get = |p: &str, k: &str| {
            let args = automatic_args(&Platform::parse(p).unwrap(), &host);
            args.entries()
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("linux/arm64/v8", "TARGETVARIANT").as_deref(), Some(""));
        assert_eq!(
            get("linux/arm64/v8", "TARGETPLATFORM").as_deref(),
            Some("linux/arm64")
        );
        assert_eq!(get("linux/arm", "TARGETVARIANT").as_deref(), Some("v7"));
        assert_eq!(get("linux/amd64", "BUILDARCH").as_deref(), Some("amd64"));
    }
}
