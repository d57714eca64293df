//! Unpacking special entries: whiteouts and opaque dirs, devices, FIFOs,
//! xattrs, setuid modes, mtimes, sparse files; and snapshots stacking as
//! overlayfs lower dirs.

mod common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::process::Command;

use common::tar::*;
use common::*;

#[test]
fn whiteouts_devices_xattrs_modes_and_mtimes() {
    // security.capability v2 with cap_net_raw (13) permitted + effective.
    let cap: [u8; 20] = [
        1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let big = vec![0u8; 8 << 20];
    let tmp = tempfile::tempdir().unwrap();
    let bytes = Tar::default()
        .dir("d")
        .file("d/.wh.gone", b"")
        .dir("o")
        .file("o/.wh..wh..opq", b"")
        .file("o/keep", b"kept")
        .add(Entry {
            name: "fifo",
            kind: b'6',
            mode: 0o600,
            ..Default::default()
        })
        .add(Entry {
            name: "null",
            kind: b'3',
            mode: 0o666,
            dev: (1, 3),
            ..Default::default()
        })
        .add(Entry {
            name: "suid",
            mode: 0o4755,
            uid: 1000,
            gid: 1000,
            data: b"#!/bin/sh\n",
            ..Default::default()
        })
        .pax(&[
            ("SCHILY.xattr.security.capability", &cap),
            ("SCHILY.xattr.user.note", b"hello"),
        ])
        .add(Entry {
            name: "ping",
            mode: 0o755,
            data: b"\x7fELF",
            ..Default::default()
        })
        .add(Entry {
            name: "m",
            kind: b'5',
            mode: 0o700,
            mtime: 1_000_000,
            ..Default::default()
        })
        .add(Entry {
            name: "m/f",
            data: b"f",
            mtime: 2_000_000,
            ..Default::default()
        })
        .file("big", &big)
        .symlink("link", "/etc/passwd")
        .finish();
    let p = write_tar(tmp.path(), "l.tar", &bytes);
    let s = Store::new();
    s.ok(&["import", p.to_str().unwrap(), "special"]);
    let snap = &lower_dirs(&s, "special")[0];

    let gone = fs::symlink_metadata(snap.join("d/gone")).unwrap();
    assert!(
        gone.file_type().is_char_device() && gone.rdev() == 0,
        "whiteout must be a 0/0 char device"
    );
    assert!(!snap.join("d/.wh.gone").exists());
    let opq = Command::new("python3")
        .args(["-c", "import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], 'trusted.overlay.opaque').decode())"])
        .arg(snap.join("o"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&opq.stdout),
        "y",
        "{}",
        stderr(&opq)
    );
    assert!(!snap.join("o/.wh..wh..opq").exists());
    assert_eq!(fs::read(snap.join("o/keep")).unwrap(), b"kept");

    assert!(fs::symlink_metadata(snap.join("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    let null = fs::symlink_metadata(snap.join("null")).unwrap();
    assert!(null.file_type().is_char_device());
    assert_eq!(null.rdev(), libc_makedev(1, 3));
    assert_eq!(
        null.mode() & 0o7777,
        0o666,
        "device mode must not go through the umask"
    );

    let suid = fs::metadata(snap.join("suid")).unwrap();
    assert_eq!(suid.mode() & 0o7777, 0o4755, "setuid survives the chown");
    assert_eq!((suid.uid(), suid.gid()), (1000, 1000));

    let getcap = Command::new("python3")
        .args(["-c", "import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], 'security.capability').hex() + ' ' + os.getxattr(sys.argv[1], 'user.note').decode())"])
        .arg(snap.join("ping"))
        .output()
        .unwrap();
    let caps_hex: String = cap.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        String::from_utf8_lossy(&getcap.stdout),
        format!("{caps_hex} hello"),
        "{}",
        stderr(&getcap)
    );

    assert_eq!(
        fs::metadata(snap.join("m")).unwrap().mtime(),
        1_000_000,
        "dir mtime applied after its content"
    );
    assert_eq!(fs::metadata(snap.join("m")).unwrap().mode() & 0o7777, 0o700);
    assert_eq!(fs::metadata(snap.join("m/f")).unwrap().mtime(), 2_000_000);

    let bigm = fs::metadata(snap.join("big")).unwrap();
    assert_eq!(bigm.len(), 8 << 20);
    assert!(
        bigm.blocks() * 512 < (1 << 20),
        "zero-filled file should be sparse, uses {} blocks",
        bigm.blocks()
    );

    assert_eq!(
        fs::read_link(snap.join("link")).unwrap(),
        Path::new("/etc/passwd")
    );
}

fn libc_makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xfffff000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffffff00) << 12)
        | (minor & 0xff)
}

/// An OCI-layout tar holding one image made of the given uncompressed layers.
fn oci_archive(layers: &[Vec<u8>], name: &str) -> Vec<u8> {
    let mut t = Tar::default();
    t.file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    let mut descs = Vec::new();
    let mut diffs = Vec::new();
    for l in layers {
        let hex = sha256_hex(l);
        t.file(&format!("blobs/sha256/{hex}"), l);
        descs.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": format!("sha256:{hex}"), "size": l.len(),
        }));
        diffs.push(format!("sha256:{hex}"));
    }
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diffs},
    }))
    .unwrap();
    let chex = sha256_hex(&config);
    t.file(&format!("blobs/sha256/{chex}"), &config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": format!("sha256:{chex}"), "size": config.len()},
        "layers": descs,
    }))
    .unwrap();
    let mhex = sha256_hex(&manifest);
    t.file(&format!("blobs/sha256/{mhex}"), &manifest);
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": format!("sha256:{mhex}"), "size": manifest.len(),
                       "annotations": {"org.opencontainers.image.ref.name": name}}],
    }))
    .unwrap();
    t.file("index.json", &index);
    t.finish()
}

#[test]
fn snapshots_stack_as_overlayfs_lower_dirs_with_whiteouts() {
    let base = Tar::default()
        .file("a", b"a")
        .file("b", b"b")
        .dir("d")
        .file("d/x", b"x")
        .finish();
    let top = Tar::default()
        .file(".wh.a", b"")
        .dir("d")
        .file("d/.wh..wh..opq", b"")
        .file("d/y", b"y")
        .finish();
    let tmp = tempfile::tempdir().unwrap();
    let p = write_tar(tmp.path(), "two.tar", &oci_archive(&[base, top], "stack:1"));
    let s = Store::new();
    assert_eq!(
        s.ok(&["load", "-i", p.to_str().unwrap()]).trim(),
        "Loaded image: stack:1"
    );
    let lower = s.ok(&[
        "image",
        "inspect",
        "-f",
        "{{.GraphDriver.Data.LowerDir}}",
        "stack:1",
    ]);
    assert_eq!(lower.trim().split(':').count(), 2);

    // Mount the snapshots the way the runtime will and look at the result.
    let mnt = tmp.path().join("merged");
    fs::create_dir(&mnt).unwrap();
    let out = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o"])
        .arg(format!("ro,lowerdir={}", lower.trim()))
        .arg(&mnt)
        .output()
        .unwrap();
    assert!(out.status.success(), "mount: {}", stderr(&out));
    // Read without panicking so the mount is always undone.
    let list = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let seen = (list(&mnt), list(&mnt.join("d")));
    let _ = Command::new("umount").arg(&mnt).status();
    assert_eq!(seen.0, ["b", "d"], "the whiteout hides a");
    assert_eq!(seen.1, ["y"], "the opaque dir hides d/x");
}
