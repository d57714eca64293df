//! skiff-core: the small pieces every other skiff crate builds on, kept in
//! one leaf crate so there is exactly one of each.
//!
//! - [`platform`]: the one `Platform` type (`linux/arm/v7`), containerd's
//!   normalisation and the one matcher that picks an index entry.
//! - [`lock`]: the one advisory file lock (flock) for concurrent processes.
//! - [`atomic`]: the one atomic file write (temp, fsync, rename, fsync dir).
//! - [`inroot`]: the one resolve-in-root: paths inside a container rootfs or
//!   build context resolved to file descriptors, never escaping the root.
//! - [`caps`]: docker's default capability set and the kernel's full list.
//! - [`digest`]: sha256 hashing readers and writers.
//! - [`times`]: set a file's timestamps without following a symlink.
//! - [`timing`]: the one `--debug-timing` phase report.
//! - `testing` (feature `testing`, for other crates' tests): temporary
//!   paths and directory trees as fixtures.
//!
//! It depends on no other skiff crate and on nothing with C code.

pub mod atomic;
pub mod caps;
pub mod digest;
pub mod go_duration;
pub mod inroot;
pub mod lock;
pub mod platform;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod times;
pub mod timing;

pub use platform::Platform;
