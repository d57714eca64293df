//! Sizes a layer may ask for: declared sizes against the budget, sparse
//! holes never written. (The xattr allow-list is pinned by
//! cmd/tests/layer_unpack_limits.rs, which runs as root.)

use std::os::unix::fs::MetadataExt;

use super::unpack_tar;
use crate::limits::{Budget, UnpackLimits};

fn budget() -> Budget {
    Budget::new(UnpackLimits::default(), 0)
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
    // The setters write GNU base-256 when octal does not fit (a petabyte
    // needs 17 octal digits, the fields hold 11).
    g.set_real_size(real);
    g.sparse[0].set_offset(offset);
    g.sparse[0].set_length(data.len() as u64);
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
