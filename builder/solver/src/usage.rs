//! The build cache's disk usage, for `system df`: everything under the
//! cache dir is reclaimable by `builder prune` (its layers are counted with
//! the images that use them).

use skiff_store::Store;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheUsage {
    /// Cache records (one per cached step).
    pub entries: usize,
    pub size: u64,
}

pub fn cache_usage(store: &Store) -> CacheUsage {
    let dir = store.buildcache_dir();
    let entries = std::fs::read_dir(&dir)
        .map(|it| {
            it.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                .count()
        })
        .unwrap_or(0);
    CacheUsage {
        entries,
        size: skiff_store::dir_size_of(&dir),
    }
}
