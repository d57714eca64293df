//! Tests of the listing facts cached in the index (listing.rs): what
//! `list` shows from them equals the full resolution, for single- and
//! multi-platform images, and missing blobs or layers not unpacked yet are
//! never hidden behind them.

use super::tests::{foreign_arch, image, one_file_tar};
use super::*;
use crate::testutil::temp_store;
use skiff_core::Platform;

/// A one-layer image for `arch` whose layer is unpacked (its content size
/// recorded, as after a pull, load, import or build), registered untagged.
fn unpacked_image(s: &Store, arch: &str, content: &[u8]) -> (Digest, Digest) {
    let bytes = one_file_tar(content);
    let layer = s
        .import_layer(&mut bytes.as_slice(), media::OCI_LAYER_GZIP)
        .unwrap();
    let cfg = serde_json::json!({
        "architecture": arch, "os": "linux", "created": "2026-01-02T03:04:05Z",
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id.to_string()]},
    });
    let cfg = serde_json::to_vec(&cfg).unwrap();
    let m = s
        .write_image_raw(&cfg, &[layer], ManifestFlavor::Oci)
        .unwrap();
    (m, crate::digest::sha256_digest(&cfg))
}

fn listing(s: &Store, top: &Digest) -> Option<Listing> {
    s.read_index().unwrap().images[top.as_ref()].listing.clone()
}

fn row<'a>(rows: &'a [ImageSummary], repository: &str) -> &'a ImageSummary {
    rows.iter()
        .find(|r| r.repository == repository)
        .unwrap_or_else(|| panic!("no {repository} in {rows:?}"))
}

/// Drop every record's cached listing, as in a store written by an older
/// skiff.
fn forget_listings(s: &Store) {
    s.update_index(|idx| {
        idx.images.values_mut().for_each(|r| r.listing = None);
        Ok(())
    })
    .unwrap();
}

#[test]
fn listing_is_cached_at_registration_and_lists_as_the_full_resolution() {
    let (_dir, s) = temp_store();
    let (one, one_id) = unpacked_image(&s, "amd64", b"12345");
    s.tag("one", &one).unwrap();
    let host = Platform::host();
    let other = foreign_arch();
    let (native, native_id) = unpacked_image(&s, &host.architecture, b"native!");
    let (foreign, foreign_id) = unpacked_image(&s, other, b"foreign, longer");
    let ix = s
        .write_index(&[
            PlatformManifest {
                digest: foreign.clone(),
                platform: Platform::parse(&format!("linux/{other}")).unwrap(),
            },
            PlatformManifest {
                digest: native.clone(),
                platform: host.clone(),
            },
        ])
        .unwrap();
    s.tag("multi", &ix).unwrap();

    let cached = listing(&s, &one).expect("a listing for an unpacked image");
    assert_eq!(cached.manifest, one.to_string());
    assert_eq!(cached.size, 5);
    assert_eq!(cached.created.as_deref(), Some("2026-01-02T03:04:05Z"));
    // An index's facts are its host manifest's.
    let cached = listing(&s, &ix).expect("a listing for the index");
    assert_eq!(cached.manifest, native.to_string());
    assert_eq!(cached.size, 7);

    let fast = s.list().unwrap();
    assert_eq!(row(&fast, "one").id, one_id);
    assert_eq!(row(&fast, "one").size, 5);
    assert_eq!(row(&fast, "multi").id, native_id);
    assert_eq!(row(&fast, "multi").size, 7);
    assert_eq!(
        row(&fast, "multi").created.unwrap().to_rfc3339(),
        "2026-01-02T03:04:05+00:00"
    );
    // A store without the cache (older skiff) lists the same.
    forget_listings(&s);
    let slow = s.list().unwrap();
    assert_eq!(format!("{fast:?}"), format!("{slow:?}"));

    // The host's manifest gone: the cache naming it is not used; the full
    // resolution lists the platform that is left.
    s.add_image(&ix).unwrap();
    assert!(listing(&s, &ix).is_some());
    std::fs::remove_file(s.blob_path(&native)).unwrap();
    assert_eq!(row(&s.list().unwrap(), "multi").id, foreign_id);
}

#[test]
fn an_image_whose_manifest_blob_is_gone_is_not_listed() {
    let (_dir, s) = temp_store();
    let (gone, _) = unpacked_image(&s, "amd64", b"gone");
    let (kept, _) = unpacked_image(&s, "amd64", b"kept");
    s.tag("gone", &gone).unwrap();
    s.tag("kept", &kept).unwrap();
    assert!(listing(&s, &gone).is_some());
    std::fs::remove_file(s.blob_path(&gone)).unwrap();
    let names = |rows: Vec<ImageSummary>| -> Vec<String> {
        rows.into_iter().map(|r| r.repository).collect()
    };
    assert_eq!(names(s.list().unwrap()), ["kept"]);
    // Nor from a record without the cache.
    forget_listings(&s);
    assert_eq!(names(s.list().unwrap()), ["kept"]);
}

#[test]
fn a_missing_config_is_shown_as_unknown_not_from_the_cache() {
    let (_dir, s) = temp_store();
    let (m, id) = unpacked_image(&s, "amd64", b"abc");
    s.tag("noconfig", &m).unwrap();
    std::fs::remove_file(s.blob_path(&id)).unwrap();
    let rows = s.list().unwrap();
    let r = row(&rows, "noconfig");
    assert_eq!((r.created, r.size), (None, 0), "{r:?}");
}

// A layer stored but not unpacked is listed at its compressed size, which
// changes once it is unpacked: such an image gets no cached listing until
// then (a load unpacks after registering; a run unpacks what is missing).
#[test]
fn sizes_of_layers_not_unpacked_yet_are_cached_once_unpacked() {
    let (_dir, s) = temp_store();
    let (m, _) = image(&s, "amd64", b"not unpacked yet");
    s.tag("later", &m).unwrap();
    assert_eq!(listing(&s, &m), None);
    let compressed = row(&s.list().unwrap(), "later").size;
    let img = s.resolve("later").unwrap();
    assert_eq!(compressed, img.manifest.layers()[0].size());
    s.image_layers(&img).unwrap();
    assert_eq!(listing(&s, &m).map(|l| l.size), Some(16));
    assert_eq!(row(&s.list().unwrap(), "later").size, 16);
}
