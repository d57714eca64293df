//! Tests of multi-platform images: an index made from stored manifests,
//! its platforms present or not, strict and lenient resolution.

use super::tests::{foreign_arch, image};
use super::*;
use crate::testutil::temp_store;
use skiff_core::Platform;

fn p(s: &str) -> Platform {
    Platform::parse(s).unwrap()
}

/// An index's entries: each manifest with its platform.
fn manifests(list: &[(&Digest, Platform)]) -> Vec<PlatformManifest> {
    list.iter()
        .map(|(digest, platform)| PlatformManifest {
            digest: (*digest).clone(),
            platform: platform.clone(),
        })
        .collect()
}

#[test]
fn tag_index_makes_one_tag_with_every_platform() {
    let (_dir, s) = temp_store();
    let (amd, amd_id) = image(&s, "amd64", b"amd");
    let (arm, arm_id) = image(&s, "arm64", b"arm");
    let (_r, ix) = s
        .tag_index(
            "multi:1",
            &manifests(&[(&amd, p("linux/amd64")), (&arm, p("linux/arm64"))]),
        )
        .unwrap();
    assert_eq!(s.lookup("multi:1").unwrap(), ix);
    let entries = s.image_platforms(&ix).unwrap();
    assert_eq!(platform_list(&entries), "linux/amd64, linux/arm64/v8");
    assert!(entries.iter().all(|e| e.present));
    assert_eq!(
        s.resolve_for("multi:1", &p("linux/arm64/v8")).unwrap().id(),
        &arm_id
    );
    assert_eq!(
        s.resolve_for("multi:1", &p("linux/amd64")).unwrap().id(),
        &amd_id
    );
    // Not in the index: an error naming the image and what it has.
    let err = s.resolve_for("multi:1", &p("linux/arm/v7")).unwrap_err();
    assert!(matches!(
        err,
        Error::NoMatchingPlatform { listed: false, .. }
    ));
    assert_eq!(
        err.to_string(),
        "image multi:1 has no manifest for platform linux/arm/v7 (it has: linux/amd64, linux/arm64/v8)"
    );
    // One row in `images`.
    let rows: Vec<_> = s
        .list()
        .unwrap()
        .into_iter()
        .filter(|r| r.repository == "multi")
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].digest, ix);
}

#[test]
fn a_listed_platform_without_content_is_not_a_fallback() {
    let (_dir, s) = temp_store();
    let (amd, _) = image(&s, "amd64", b"amd");
    let (arm, arm_id) = image(&s, "arm64", b"arm");
    let ix = s
        .write_index(&manifests(&[
            (&amd, p("linux/amd64")),
            (&arm, p("linux/arm64")),
        ]))
        .unwrap();
    s.tag("x", &ix).unwrap();
    // As after `pull --platform linux/arm64`: amd64's manifest is absent.
    std::fs::remove_file(s.blob_path(&amd)).unwrap();
    let entries = s.image_platforms(&ix).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.present).collect::<Vec<_>>(),
        [false, true]
    );
    let err = s.resolve_for("x", &p("linux/amd64")).unwrap_err();
    assert!(matches!(
        err,
        Error::NoMatchingPlatform { listed: true, .. }
    ));
    assert!(err.to_string().contains("present: linux/arm64/v8"), "{err}");
    // Without --platform, the present platform is used (host preferred).
    assert_eq!(s.resolve_for("x", &p("linux/arm64")).unwrap().id(), &arm_id);
    if Platform::host().architecture == "amd64" {
        assert_eq!(s.resolve("x").unwrap().id(), &arm_id);
    }
}

#[test]
fn a_single_platform_image_of_another_arch_is_refused_when_asked_for() {
    let (_dir, s) = temp_store();
    let (amd, _) = image(&s, "amd64", b"amd");
    s.tag("one", &amd).unwrap();
    let err = s.resolve_for("one", &p("linux/arm64")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "image one has no manifest for platform linux/arm64 (it has: linux/amd64)"
    );
    assert!(s.resolve_for("one", &p("linux/amd64")).is_ok());
    assert!(s.write_index(&[]).is_err());
}

#[test]
fn the_id_follows_the_platform_resolution_picks() {
    let (_dir, s) = temp_store();
    let host = Platform::host();
    let other = foreign_arch();
    let (mine, mine_id) = image(&s, &host.architecture, b"host");
    let (theirs, theirs_id) = image(&s, other, b"other");
    let ix = s
        .write_index(&manifests(&[
            (&mine, host.clone()),
            (&theirs, p(&format!("linux/{other}"))),
        ]))
        .unwrap();
    s.tag("x", &ix).unwrap();
    // Only the other platform here (`pull --platform other`): its ID.
    let kept = s.read_blob(&mine).unwrap();
    std::fs::remove_file(s.blob_path(&mine)).unwrap();
    s.add_image(&ix).unwrap();
    let hex = |d: &Digest| d.digest()[..12].to_string();
    assert_eq!(s.resolve(&hex(&theirs_id)).unwrap().digest, ix);
    // Then the host's platform is pulled too: the ID `images` shows (the
    // host's) is the one `rmi <id>` finds.
    s.put_blob(&kept, Some(&mine)).unwrap();
    s.add_image(&ix).unwrap();
    assert_eq!(s.resolve("x").unwrap().id(), &mine_id);
    assert_eq!(s.resolve(&hex(&mine_id)).unwrap().digest, ix);
}
