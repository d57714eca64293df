//! Pulls that are killed mid-download or run twice at once: the store stays
//! usable and holds one copy of each blob.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::registry::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn pull_killed_mid_download_leaves_a_usable_store() {
    let big = big_image();
    let store = Store::new();
    let mut child = store
        .skiff()
        .args(["pull", "-q", &big.reference])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the layer is partly on disk, then SIGKILL.
    let tmp = store.root().join("tmp");
    let start = Instant::now();
    let mut partial = false;
    while start.elapsed() < Duration::from_secs(60) {
        let written: u64 = std::fs::read_dir(&tmp)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);
        if written > 2 << 20 {
            partial = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        partial,
        "the pull finished or stalled before it could be interrupted"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let hex = big.layer.trim_start_matches("sha256:");
    assert!(
        !store.root().join("blobs/sha256").join(hex).exists(),
        "a partial blob is in the store"
    );

    let out = store.ok(&["pull", &big.reference]);
    assert!(out.contains("Pull complete"), "{out}");
    let hex_manifest = big.manifest.trim_start_matches("sha256:");
    assert!(store
        .root()
        .join("blobs/sha256")
        .join(hex_manifest)
        .exists());
    // The unpacked layer has the whole file.
    let snaps: Vec<PathBuf> = std::fs::read_dir(store.root().join("snapshots"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("big"))
        .filter(|p| p.exists())
        .collect();
    assert_eq!(snaps.len(), 1, "one snapshot holds the big file");
    assert_eq!(std::fs::metadata(&snaps[0]).unwrap().len(), 24 << 20);
    let _ = &big.config;
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn two_concurrent_pulls_both_succeed_with_one_copy() {
    let big = big_image();
    let store = Store::new();
    let pulls = store.all_at_once(2, |_| {
        vec!["pull".into(), "-q".into(), big.reference.clone()]
    });
    for out in pulls {
        assert_eq!(out.trim(), big.reference);
    }
    let blobs = std::fs::read_dir(store.root().join("blobs/sha256"))
        .unwrap()
        .count();
    assert_eq!(blobs, 3, "manifest, config and layer, once each");
    let snaps = std::fs::read_dir(store.root().join("snapshots"))
        .unwrap()
        .count();
    assert_eq!(snaps, 1);
    let tmp_left = std::fs::read_dir(store.root().join("tmp")).unwrap().count();
    assert_eq!(tmp_left, 0, "temp files left behind");
}
