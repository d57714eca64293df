//! Tests of image resolution, listing and pruning.

use super::*;
use crate::digest::sha256_digest;
use crate::media;
use crate::testutil::temp_store;
use serde_json::json;
use skiff_core::Platform;
use std::io::Write;

/// A tar holding one file, `file`, with `content`.
pub(super) fn one_file_tar(content: &[u8]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(content.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(&mut h, "file", content).unwrap();
    tar.into_inner().unwrap()
}

/// An architecture that is not the host's, for a platform the host must
/// not pick.
pub(super) fn foreign_arch() -> &'static str {
    if Platform::host().architecture == "amd64" {
        "arm64"
    } else {
        "amd64"
    }
}

/// A one-layer image for `arch`, registered but untagged.
pub(super) fn image(s: &Store, arch: &str, content: &[u8]) -> (Digest, Digest) {
    let mut lw = s.layer_writer(None).unwrap();
    lw.write_all(&one_file_tar(content)).unwrap();
    let layer = lw.commit(media::OCI_LAYER_GZIP).unwrap();
    let cfg = json!({
        "architecture": arch, "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id.to_string()]},
    });
    let bytes = serde_json::to_vec(&cfg).unwrap();
    let m = s
        .write_image_raw(&bytes, &[layer], ManifestFlavor::Oci)
        .unwrap();
    (m, sha256_digest(&bytes))
}

// The store used to let an index entry without a variant match any wanted
// variant and took the first match; now it is containerd's rule, as in the
// registry: the best ARM level at or below the wanted one, and an arm entry
// without a variant is v7.
#[test]
fn arm_variants_pick_the_best_level_at_or_below() {
    let (_dir, s) = temp_store();
    let (v6, v6_id) = image(&s, "arm", b"v6");
    let (v7, v7_id) = image(&s, "arm", b"v7");
    let entry = |d: &Digest, variant: Option<&str>| {
        let mut p = json!({"os": "linux", "architecture": "arm"});
        if let Some(v) = variant {
            p["variant"] = json!(v);
        }
        json!({"mediaType": media::OCI_MANIFEST, "digest": d.to_string(),
               "size": s.blob_size(d).unwrap(), "platform": p})
    };
    let tag = |name: &str, entries: Vec<serde_json::Value>| {
        let ix = json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": entries});
        let d = s.put_blob(&serde_json::to_vec(&ix).unwrap(), None).unwrap();
        s.tag(name, &d.digest).unwrap();
    };
    let pick = |name: &str, want: &str| {
        s.resolve_for(name, &Platform::parse(want).unwrap())
            .map(|i| i.id().clone())
    };
    tag("both", vec![entry(&v6, Some("v6")), entry(&v7, Some("v7"))]);
    assert_eq!(pick("both", "linux/arm/v7").unwrap(), v7_id);
    assert_eq!(pick("both", "linux/arm/v6").unwrap(), v6_id);
    assert!(pick("both", "linux/arm/v5").is_err());
    tag("plain", vec![entry(&v7, None)]);
    assert_eq!(pick("plain", "linux/arm/v7").unwrap(), v7_id);
    assert!(matches!(
        pick("plain", "linux/arm/v6"),
        Err(Error::NoMatchingPlatform { .. })
    ));
}

#[test]
fn resolve_by_tag_id_prefix_digest_and_platform() {
    let (_dir, s) = temp_store();
    let (amd, amd_id) = image(&s, "amd64", b"amd");
    let (arm, arm_id) = image(&s, "arm64", b"arm");
    let index = json!({
        "schemaVersion": 2, "mediaType": media::OCI_INDEX,
        "manifests": [
            {"mediaType": media::OCI_MANIFEST, "digest": amd.to_string(), "size": s.blob_size(&amd).unwrap(),
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": media::OCI_MANIFEST, "digest": arm.to_string(), "size": s.blob_size(&arm).unwrap(),
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    });
    let ix = s
        .put_blob(&serde_json::to_vec(&index).unwrap(), None)
        .unwrap();
    s.tag("multi", &ix.digest).unwrap();

    let want_id = if Platform::host().architecture == "arm64" {
        &arm_id
    } else {
        &amd_id
    };
    let img = s.resolve("multi").unwrap();
    assert_eq!(img.digest, ix.digest);
    assert_eq!(img.id(), want_id);
    let arm_img = s
        .resolve_for("multi", &Platform::parse("linux/arm64").unwrap())
        .unwrap();
    assert_eq!(arm_img.id(), &arm_id);
    assert_eq!(arm_img.manifest_digest, arm);
    // Only arm64 content present: strict resolve_for fails for the host,
    // resolve falls back to what is there.
    let only_arm = json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": [
        {"mediaType": media::OCI_MANIFEST, "digest": arm.to_string(), "size": s.blob_size(&arm).unwrap(),
         "platform": {"os": "linux", "architecture": "arm64"}}]});
    let oa = s
        .put_blob(&serde_json::to_vec(&only_arm).unwrap(), None)
        .unwrap();
    s.tag("onlyarm", &oa.digest).unwrap();
    if Platform::host().architecture != "arm64" {
        assert!(s.resolve_for("onlyarm", &Platform::host()).is_err());
        assert_eq!(s.resolve("onlyarm").unwrap().id(), &arm_id);
    }
    let err = s
        .resolve_for("multi", &Platform::parse("linux/s390x").unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("linux/arm64/v8"), "{err}");

    assert_eq!(
        s.resolve("docker.io/library/multi:latest").unwrap().digest,
        ix.digest
    );
    assert_eq!(s.resolve(&amd_id.digest()[..10]).unwrap().id(), &amd_id);
    assert_eq!(s.resolve(amd_id.as_ref()).unwrap().id(), &amd_id);
    assert_eq!(s.resolve(amd.as_ref()).unwrap().manifest_digest, amd);
    s.add_repo_digest(&ix.digest, "127.0.0.1:5000/multi", &ix.digest)
        .unwrap();
    assert_eq!(
        s.resolve(&format!("127.0.0.1:5000/multi@{}", ix.digest))
            .unwrap()
            .digest,
        ix.digest
    );
    assert!(matches!(s.resolve("nope"), Err(Error::ImageNotFound(_))));

    // Untagged single-platform images are listed as <none>.
    let rows = s.list().unwrap();
    assert_eq!(rows.iter().filter(|r| r.dangling).count(), 2);
    assert_eq!(
        rows.iter().filter(|r| r.repository == "onlyarm").count(),
        1,
        "{rows:?}"
    );
    assert_eq!(rows.iter().filter(|r| r.repository == "multi").count(), 1);
}

#[test]
fn prune_keeps_tagged_and_pinned_content() {
    let (_dir, s) = temp_store();
    let (a, _) = image(&s, "amd64", b"a");
    let (b, _) = image(&s, "amd64", b"b");
    let (c, _) = image(&s, "amd64", b"c");
    s.tag("a", &a).unwrap();
    s.pin("containers", "ctr1", std::slice::from_ref(&b))
        .unwrap();
    let img_b = s.resolve(b.as_ref()).unwrap();
    let snaps = s.image_layers(&img_b).unwrap();
    assert!(snaps[0].join("file").is_file());

    let r = s.prune(false).unwrap();
    assert_eq!(
        r.deleted_images.len(),
        1,
        "only the unpinned dangling image"
    );
    assert!(s.lookup(c.as_ref()).is_err());
    assert!(s.has_blob(&a) && s.has_blob(&b) && !s.has_blob(&c));
    assert!(snaps[0].is_dir(), "pinned image keeps its snapshot");

    // rmi of a pinned image needs force.
    let err = s.remove_image(b.as_ref(), false).unwrap_err();
    assert!(err.to_string().contains("ctr1"), "{err}");
    s.unpin("containers", "ctr1").unwrap();
    let r = s.prune(true).unwrap();
    assert_eq!(r.deleted_images.len(), 2);
    assert_eq!(s.list_blobs().unwrap().len(), 0);
    assert_eq!(s.list_snapshots().unwrap().len(), 0);
}
