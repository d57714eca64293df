//! What a layer may and may not set: xattrs (allow-list) and sizes
//! (declared sizes against the budget, sparse holes never written).

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::unpack_tar;
use crate::limits::{Budget, UnpackLimits};

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

fn pax_entry(
    b: &mut tar::Builder<Vec<u8>>,
    name: &str,
    kind: tar::EntryType,
    pax: &[(&str, &[u8])],
) {
    b.append_pax_extensions(pax.iter().copied()).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_size(0);
    h.set_mode(0o755);
    h.set_cksum();
    b.append_data(&mut h, name, std::io::empty()).unwrap();
}

fn budget() -> Budget {
    Budget::new(UnpackLimits::default(), 0)
}

#[test]
fn only_allow_listed_xattrs_are_applied() {
    let mut b = tar::Builder::new(Vec::new());
    // A capability blob (v2, cap_net_raw permitted+effective).
    let cap: &[u8] = &[
        0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    pax_entry(
        &mut b,
        "d",
        tar::EntryType::Directory,
        &[
            ("SCHILY.xattr.trusted.overlay.opaque", b"y"),
            ("SCHILY.xattr.trusted.overlay.redirect", b"/etc"),
            ("SCHILY.xattr.user.x", b"kept"),
        ],
    );
    pax_entry(
        &mut b,
        "f",
        tar::EntryType::Regular,
        &[
            ("SCHILY.xattr.security.capability", cap),
            ("SCHILY.xattr.trusted.other", b"no"),
            ("SCHILY.xattr.security.evm", b"no"),
        ],
    );
    let tar = b.into_inner().unwrap();
    let dir = tempfile::tempdir().unwrap();
    unpack_tar(&tar[..], dir.path(), "l", budget()).unwrap();
    let (d, f) = (dir.path().join("d"), dir.path().join("f"));
    assert_eq!(getxattr(&d, "trusted.overlay.opaque"), None);
    assert_eq!(getxattr(&d, "trusted.overlay.redirect"), None);
    assert_eq!(getxattr(&f, "trusted.other"), None);
    assert_eq!(getxattr(&f, "security.evm"), None);
    assert_eq!(getxattr(&d, "user.x").as_deref(), Some(&b"kept"[..]));
    if nix_is_root() {
        assert_eq!(getxattr(&f, "security.capability").as_deref(), Some(cap));
    }
}

fn nix_is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A tar number field: octal when it fits, else GNU base-256 (a petabyte
/// needs 17 octal digits, the fields hold 11).
fn number(f: &mut [u8], v: u64) {
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

/// A GNU sparse entry of apparent size `real` with one data block of
/// `data` at `offset`.
fn sparse_tar(name: &str, real: u64, offset: u64, data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_path(name).unwrap();
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    let g = h.as_gnu_mut().unwrap();
    number(&mut g.realsize, real);
    number(&mut g.sparse[0].offset, offset);
    number(&mut g.sparse[0].numbytes, data.len() as u64);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out.extend_from_slice(&[0u8; 1024]);
    out
}

#[test]
fn a_petabyte_sparse_entry_is_refused_at_once_by_name() {
    let tar = sparse_tar("huge", 1 << 50, (1 << 50) - 512, &[7u8; 512]);
    let dir = tempfile::tempdir().unwrap();
    let t = std::time::Instant::now();
    let e = unpack_tar(&tar[..], dir.path(), "l", budget())
        .unwrap_err()
        .to_string();
    assert!(t.elapsed().as_secs() < 1, "took {:?}", t.elapsed());
    assert!(
        e.contains("\"huge\"") && e.contains("per-layer limit of 64 GiB"),
        "{e}"
    );
    assert!(!dir.path().join("huge").exists());
}

#[test]
fn sparse_holes_are_seeked_over_not_written() {
    // 8 GiB apparent, 512 bytes of data at the end: writing the hole as
    // zeros would take many seconds and 8 GiB of reads.
    let real = 8u64 << 30;
    let tar = sparse_tar("big", real, real - 512, &[7u8; 512]);
    let dir = tempfile::tempdir().unwrap();
    let t = std::time::Instant::now();
    let stats = unpack_tar(&tar[..], dir.path(), "l", budget()).unwrap();
    assert!(t.elapsed().as_secs() < 2, "took {:?}", t.elapsed());
    let m = std::fs::metadata(dir.path().join("big")).unwrap();
    assert_eq!(m.len(), real);
    assert!(
        m.blocks() < 64,
        "the hole was written: {} blocks",
        m.blocks()
    );
    assert_eq!(m.mode() & 0o7777, 0o644);
    assert_eq!(stats.content_size, real);
}

#[test]
fn the_per_layer_budget_counts_every_file() {
    let mut b = tar::Builder::new(Vec::new());
    for name in ["a", "b"] {
        let mut h = tar::Header::new_gnu();
        h.set_size(600);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, &[1u8; 600][..]).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let limits = UnpackLimits {
        layer: 1000,
        image: 1 << 30,
    };
    let e = unpack_tar(&tar[..], dir.path(), "l", Budget::new(limits, 0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("\"b\"") && e.contains("per-layer limit of 1000 bytes"),
        "{e}"
    );
    let e = unpack_tar(
        &tar[..],
        tempfile::tempdir().unwrap().path(),
        "l",
        Budget::new(
            UnpackLimits {
                layer: 1 << 20,
                image: 2000,
            },
            1000,
        ),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("\"b\"") && e.contains("per-image limit"), "{e}");
}
