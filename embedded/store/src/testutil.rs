//! Fixtures shared by the store's unit tests.

use crate::Store;

/// A store in a fresh temporary directory; the directory (first) lives as
/// long as the caller keeps it, and goes with everything in it.
pub(crate) fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Store::open(dir.path()).expect("open a store in it");
    (dir, store)
}
