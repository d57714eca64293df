//! Locating the shared conformance data (`../shared/conformance` beside the
//! checkout); it is read at run time, never copied into the repo.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn conformance() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    assert!(p.is_dir(), "conformance data not found at {}", p.display());
    p
}

pub fn sorted_dirs(p: &PathBuf) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

pub fn json(p: PathBuf) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(&p).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
