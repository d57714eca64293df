//! What a layer may ask of the unpacker: sizes within the configured
//! limits (a tiny tar can declare a sparse petabyte), and only the xattrs
//! images legitimately carry (never overlayfs' own `trusted.overlay.*`).

mod common;

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::tar::*;
use common::*;

/// A tar number field: octal when it fits, else GNU base-256 (a petabyte
/// needs 17 octal digits, the fields hold 11).
fn octal(f: &mut [u8], v: u64) {
    let s = format!("{:0w$o}\0", v, w = f.len() - 1);
    if s.len() == f.len() {
        f.copy_from_slice(s.as_bytes());
    } else {
        f.fill(0);
        let n = f.len();
        f[n - 8..].copy_from_slice(&v.to_be_bytes());
        f[0] = 0x80;
    }
}

/// A GNU-format sparse entry (type `S`) of apparent size `real` whose only
/// data is `data` at its very end.
fn gnu_sparse(name: &str, real: u64, data: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], data.len() as u64);
    octal(&mut h[136..148], 1_600_000_000);
    h[156] = b'S';
    h[257..265].copy_from_slice(b"ustar  \0");
    // sparse[0] = (offset, numbytes), then isextended = 0, realsize.
    octal(&mut h[386..398], real - data.len() as u64);
    octal(&mut h[398..410], data.len() as u64);
    octal(&mut h[483..495], real);
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| *b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// A layer tar, in a temp dir, whose one file `name` is sparse: `real`
/// bytes apparent, 512 stored at its end. The dir and the tar's path.
fn sparse_layer(name: &str, real: u64) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let p = write_tar(tmp.path(), "l.tar", &gnu_sparse(name, real, &[7; 512]));
    let p = p.to_str().unwrap().to_string();
    (tmp, p)
}

#[test]
#[ignore = "needs root (scripts/test)"]
fn a_sparse_petabyte_is_refused_at_once_by_name() {
    let (_tmp, p) = sparse_layer("huge", 1 << 50);
    let s = Store::new();
    let t = Instant::now();
    let out = s.run(&["import", &p, "huge"]);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "took {:?}",
        t.elapsed()
    );
    // docker exits 1 when `import` fails (the daemon's error), as every
    // import failure does (see cli_parity_podman).
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("\"huge\"")
            && err.contains("per-layer limit of 64 GiB")
            && err.contains("SKIFF_MAX_LAYER_SIZE"),
        "{err}"
    );
    assert_eq!(count_files(&s.root().join("snapshots")), 0);
    assert_eq!(count_files(&s.root().join("tmp")), 0);
}

#[test]
#[ignore = "needs root (scripts/test)"]
fn the_layer_limit_is_configurable_and_sparse_files_stay_sparse() {
    // 4 GiB apparent.
    let (_tmp, p) = sparse_layer("big", 4 << 30);
    let s = Store::new();
    let out = s
        .skiff()
        .env("SKIFF_MAX_LAYER_SIZE", "1G")
        .args(["import", &p, "big"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.contains("per-layer limit of 1 GiB"), "{err}");

    let t = Instant::now();
    s.ok(&["import", &p, "big"]);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    let f = lower_dirs(&s, "big")[0].join("big");
    let m = std::fs::metadata(&f).unwrap();
    assert_eq!(m.len(), 4 << 30);
    use std::os::unix::fs::MetadataExt;
    assert!(
        m.blocks() < 64,
        "the hole was written: {} blocks",
        m.blocks()
    );
}

fn getxattr(p: &Path, name: &str) -> Option<Vec<u8>> {
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    let n = std::ffi::CString::new(name).unwrap();
    let mut buf = vec![0u8; 256];
    // SAFETY: valid NUL-terminated strings and a buffer of the given length.
    let r = unsafe { libc::lgetxattr(c.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    (r >= 0).then(|| {
        buf.truncate(r as usize);
        buf
    })
}

#[test]
#[ignore = "needs root (scripts/test)"]
fn overlay_xattrs_of_a_layer_are_dropped() {
    // v2 file capability: cap_net_raw permitted + effective.
    let cap: &[u8] = &[
        0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let tmp = tempfile::tempdir().unwrap();
    let bytes = Tar::default()
        .pax(&[
            ("SCHILY.xattr.trusted.overlay.opaque", b"y"),
            ("SCHILY.xattr.trusted.overlay.redirect", b"/etc"),
            ("SCHILY.xattr.user.x", b"kept"),
        ])
        .dir("d")
        .pax(&[
            ("SCHILY.xattr.security.capability", cap),
            ("SCHILY.xattr.trusted.overlay.metacopy", b""),
            ("SCHILY.xattr.user.x", b"file"),
        ])
        .file("d/ping", b"#!/bin/sh\n")
        .finish();
    let p = write_tar(tmp.path(), "l.tar", &bytes);
    let s = Store::new();
    s.ok(&["import", p.to_str().unwrap(), "xattrs"]);
    let snap = &lower_dirs(&s, "xattrs")[0];
    let (d, f) = (snap.join("d"), snap.join("d/ping"));
    assert_eq!(getxattr(&d, "trusted.overlay.opaque"), None);
    assert_eq!(getxattr(&d, "trusted.overlay.redirect"), None);
    assert_eq!(getxattr(&f, "trusted.overlay.metacopy"), None);
    assert_eq!(getxattr(&d, "user.x").as_deref(), Some(&b"kept"[..]));
    assert_eq!(getxattr(&f, "user.x").as_deref(), Some(&b"file"[..]));
    assert_eq!(getxattr(&f, "security.capability").as_deref(), Some(cap));
}
