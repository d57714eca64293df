//! Flushing a finished snapshot to disk before it is renamed into place.
//!
//! A snapshot is marked complete by its rename from `tmp/`; after a power
//! cut the rename could survive while file data written just before did
//! not, leaving a "complete" snapshot with empty files. So the unpacked
//! tree is flushed first.
//!
//! One `syncfs(2)` on the snapshot's filesystem, not an fsync per file:
//! measured on ext4 (2 cores, shared host) importing busybox (289
//! entries) it cost 12 ms against 72 ms, and for a 218 MB / 10 378-entry
//! rootfs 0.37 s against 35.7 s (each fsync is its own journal commit).
//! syncfs also flushes other dirty data of that filesystem, which a
//! per-file fsync would not: a fair price for one call per snapshot.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Flush everything under `dir` to stable storage.
pub(crate) fn sync_snapshot(dir: &Path) -> io::Result<()> {
    let f = File::open(dir)?;
    // SAFETY: f is an open descriptor for the duration of the call.
    if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
