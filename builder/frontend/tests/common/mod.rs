//! Locating the shared conformance data (`../shared/conformance` beside the
//! checkout); it is read at run time, never copied into the repo. The one
//! copy of these helpers: cmd/tests/frontend.rs includes this file too, so
//! the path is found from the workspace root (the nearest ancestor holding
//! Cargo.lock), not from the including crate's own depth.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn conformance() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest
        .ancestors()
        .find(|a| a.join("Cargo.lock").is_file())
        .unwrap_or_else(|| panic!("no workspace root above {}", manifest.display()));
    let p = workspace.join("../shared/conformance");
    assert!(p.is_dir(), "conformance data not found at {}", p.display());
    p
}

pub fn sorted_dirs(p: &Path) -> Vec<PathBuf> {
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
