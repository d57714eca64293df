//! `skiff pull` from the test ground's plain registry: progress lines,
//! `images` afterwards, a blob not matching its digest, --platform checks.

mod common;

use std::path::{Path, PathBuf};

use common::registry::*;
use common::*;

/// docker's human sizes ("2.21MB") back to bytes, roughly.
fn parse_human(s: &str) -> f64 {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let mult = match unit {
        "B" => 1.0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        other => panic!("unexpected size unit {other:?} in {s:?}"),
    };
    num.parse::<f64>().unwrap() * mult
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn pull_then_images_lists_it_with_size_and_id() {
    let (store, image) = unpulled_busybox();
    let out = store.ok(&["pull", &image]);
    assert!(out.contains("Pull complete"), "{out}");
    assert!(out.contains("Digest: sha256:"), "{out}");
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {image}")),
        "{out}"
    );
    assert!(out.trim_end().ends_with(&image), "{out}");

    let id = sha256_of_config(&image, "--tls-verify=false");
    let json = store.ok(&["images", "--format", "{{json .}}"]);
    let (repo, tag) = image.rsplit_once(':').unwrap();
    let row: serde_json::Value = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["Repository"] == repo && v["Tag"] == tag)
        .unwrap_or_else(|| panic!("{image} not listed:\n{json}"));
    let listed_id = row["ID"].as_str().unwrap().trim_start_matches("sha256:");
    assert!(
        id.starts_with(listed_id) && listed_id.len() >= 12,
        "ID {listed_id} vs {id}"
    );
    let size = parse_human(row["Size"].as_str().unwrap());
    let want = tar_content_size(Path::new(&ground("SKIFF_TEST_BUSYBOX_TAR"))) as f64;
    assert!(
        (size - want).abs() / want < 0.01,
        "size {} ({size}) vs {want} bytes of content",
        row["Size"]
    );
    // The table shows the same.
    let table = store.ok(&["images"]);
    assert!(table.contains(repo) && table.contains(&id[..12]), "{table}");

    // A second pull changes nothing.
    let again = store.ok(&["pull", &image]);
    assert!(again.contains("Already exists"), "{again}");
    assert!(again.contains("Image is up to date"), "{again}");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn blob_not_matching_its_digest_fails_the_pull_and_leaves_nothing() {
    // A private image whose layer file is then corrupted in the registry's
    // storage (same length, different bytes): the registry serves it as is.
    let made = random_data_image("corrupt", "data", "3M");
    let hex = made.layer.trim_start_matches("sha256:");
    let data = PathBuf::from(ground("SKIFF_TEST_GROUND"))
        .join("registry-plain/docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    // Flip bytes in the middle of the gzip stream.
    let mut bytes = std::fs::read(&data).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0xff;
    }
    std::fs::write(&data, &bytes).unwrap();

    let store = Store::new();
    let out = store.run(&["pull", &made.reference]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains(&made.layer), "the error names the digest: {t}");
    assert!(
        !store.root().join("blobs/sha256").join(hex).exists(),
        "corrupt blob kept"
    );
    let snaps = std::fs::read_dir(store.root().join("snapshots"))
        .unwrap()
        .count();
    assert_eq!(snaps, 0, "a snapshot of the corrupt layer was kept");
    let tmp_left = std::fs::read_dir(store.root().join("tmp")).unwrap().count();
    assert_eq!(tmp_left, 0, "temp files left behind");
    let images = store.ok(&["images", "-q"]);
    assert!(
        images.trim().is_empty(),
        "an image was registered: {images}"
    );
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn platform_flag_is_checked() {
    let (store, image) = unpulled_busybox();
    let out = store.run(&["pull", "--platform", "linux/", &image]);
    assert_fails(&out, 1, &["invalid platform"]);
}
