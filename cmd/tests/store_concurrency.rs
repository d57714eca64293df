//! The store under concurrent skiff processes and a killed import: one copy
//! of each blob and snapshot, nothing half-done visible.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::tar::*;
use common::*;

/// A small rootfs tar with a few files.
fn small_rootfs(dir: &Path) -> PathBuf {
    let mut t = Tar::default();
    t.dir("bin").dir("etc");
    for i in 0..50 {
        t.file(
            &format!("etc/f{i}"),
            format!("file {i}\n").repeat(100).as_bytes(),
        );
    }
    write_tar(dir, "rootfs.tar", &t.finish())
}

#[test]
fn concurrent_loads_of_one_image_all_succeed_with_one_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let rootfs = small_rootfs(tmp.path());
    let s = Store::new();
    let id = s
        .ok(&["import", rootfs.to_str().unwrap(), "conc:1"])
        .trim()
        .to_string();
    let archive = tmp.path().join("a.tar");
    s.ok(&["save", "-o", archive.to_str().unwrap(), "conc:1"]);

    let s2 = Store::new();
    let archive = archive.to_str().unwrap();
    let loads = s2.all_at_once(4, |_| vec!["load".into(), "-i".into(), archive.into()]);
    for out in loads {
        assert_eq!(out.trim(), "Loaded image: conc:1");
    }
    assert_eq!(s2.ok(&["images", "-q", "--no-trunc"]).trim(), id);
    // One layer, one config, one manifest; one snapshot; no leftovers.
    assert_eq!(count_files(&s2.root().join("blobs/sha256")), 3);
    assert_eq!(count_files(&s2.root().join("snapshots")), 1);
    assert_eq!(count_files(&s2.root().join("tmp")), 0);
}

#[test]
fn concurrent_imports_share_one_layer_and_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let rootfs = small_rootfs(tmp.path());
    let s = Store::new();
    let rootfs = rootfs.to_str().unwrap();
    s.all_at_once(4, |i| {
        vec!["import".into(), rootfs.into(), format!("imp:{i}")]
    });
    assert_eq!(s.ok(&["images", "--format", "{{.Tag}}"]).lines().count(), 4);
    assert_eq!(count_files(&s.root().join("snapshots")), 1);
    let layers: std::collections::HashSet<String> = (0..4)
        .map(|i| {
            inspect_json(&s, &format!("imp:{i}"))["RootFS"]["Layers"][0]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(layers.len(), 1);
    assert_eq!(count_files(&s.root().join("tmp")), 0);
}

#[test]
fn a_killed_import_leaves_the_store_usable() {
    let tmp = tempfile::tempdir().unwrap();
    // 4 MiB of incompressible data; the import is killed while it waits
    // for the second half on stdin.
    let mut data = vec![0u8; 4 << 20];
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for chunk in data.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let bytes = Tar::default()
        .dir("data")
        .file("data/blob", &data)
        .file("data/after", b"end")
        .finish();
    let s = Store::new();
    let mut child = s
        .skiff()
        .args(["import", "-", "killed"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&bytes[..bytes.len() / 2]).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        child.kill().unwrap();
    }
    child.wait().unwrap();
    // Nothing half-done is visible...
    assert_eq!(count_files(&s.root().join("snapshots")), 0);
    assert_eq!(count_files(&s.root().join("blobs/sha256")), 0);
    assert_eq!(s.ok(&["images", "-q"]), "");
    // ...the dead process's temp files are swept by the next skiff...
    assert_eq!(count_files(&s.root().join("tmp")), 0);
    // ...and the same import then completes.
    let p = write_tar(tmp.path(), "full.tar", &bytes);
    s.ok(&["import", p.to_str().unwrap(), "killed"]);
    let snap = &lower_dirs(&s, "killed")[0];
    assert_eq!(fs::read(snap.join("data/after")).unwrap(), b"end");
    assert_eq!(fs::metadata(snap.join("data/blob")).unwrap().len(), 4 << 20);
}
