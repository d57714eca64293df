//! skiff's content-addressed image store: blobs, the image index, unpacked
//! layer snapshots, locks and garbage collection. It knows nothing of
//! Dockerfiles, registries or containers; those crates build on it.
//!
//! # Layout under the store root
//! ```text
//! blobs/sha256/<hex>      content-addressed blobs (layers, configs, manifests, indexes)
//! images/index.json       references -> manifest/index digests, plus untagged images
//! snapshots/<chainid-hex>/  one unpacked layer each (NOT stacked on its parent),
//!                         ready to be an overlayfs lower dir
//! locks/                  flock files (index, snapshots, gc)
//! tmp/                    temp files and dirs, same filesystem for atomic renames
//! containers/             reserved for the runtime crate
//! volumes/                reserved for the runtime crate
//! buildcache/             reserved for the builder crate
//! .modes-v1               the modes below are in force (see `perms`)
//! ```
//!
//! The root and the directories directly under it are 0700: layers hold
//! setuid files and container configs hold secrets (see `perms`).
//!
//! # API at a glance
//! - [`Store::open`], [`Store::root`], [`Store::tmp_dir`], [`Store::lease`].
//! - Blobs: [`Store::blob_writer`] ([`BlobWriter`]: `io::Write`, `commit()`),
//!   [`Store::put_blob`], [`Store::has_blob`], [`Store::open_blob`],
//!   [`Store::read_blob`], [`Store::blob_size`], [`Store::blob_path`].
//! - Layers: [`Store::layer_writer`] ([`LayerWriter`]: feed an uncompressed tar,
//!   get a gzip blob plus its diff ID), [`decompress`] (or
//!   [`decompress_threaded`], inflating on its own thread), [`chain_ids`];
//!   [`layer_encoder`] is the one layer encoder (block-parallel gzip or
//!   zstd, blob digest and diff ID in one pass) behind it and the builder.
//! - Platforms, locks and hashing are `skiff_core`'s, re-exported:
//!   [`Platform`], [`lock_file`] (with the store's error), [`HashingWriter`].
//! - Images: [`Store::write_image`] (config + layers -> manifest), [`Store::add_image`]
//!   (register a stored manifest/index), [`Store::tag`], [`Store::untag`],
//!   [`Store::resolve`], [`Store::resolve_for`], [`Store::list`],
//!   [`Store::remove_image`], [`Store::image_config`], [`Store::manifest`],
//!   [`Store::add_repo_digest`]; multi-platform: [`Store::write_index`],
//!   [`Store::tag_index`], [`Store::image_platforms`] (see `images/platforms.rs`).
//! - Snapshots: [`Store::unpack_layer`], [`Store::image_layers`],
//!   [`Store::snapshot_path`], [`Store::has_snapshot`].
//! - GC: [`Store::prune`] with [`GcRoots`] from other crates
//!   ([`Store::register_gc_roots`]).
//! - Archives: [`Store::save`], [`Store::save_platform`],
//!   [`Store::load_archive`].
//!
//! # Concurrency
//! Blobs and snapshots are written to `tmp/` and renamed into place, so
//! concurrent writers of the same content both succeed with one copy. The
//! image index is read-modify-written under `locks/index.lock`. Snapshot
//! unpacking holds `locks/snapshot-<hex>.lock`. Anything that writes blobs
//! that are not yet referenced by an image (a pull, a build, a load) should hold
//! a [`Store::lease`] until the image is tagged, so a concurrent prune does not
//! collect them.

mod archive;
mod blobs;
mod chain;
mod compression;
mod digest;
mod error;
pub mod events;
mod gc;
mod images;
mod index;
mod inflate_thread;
pub mod layer_encoder;
mod layers;
mod limits;
mod perms;
mod reference;
mod snapshot_sync;
mod snapshots;
#[cfg(test)]
mod testutil;
mod tmp;
mod unpack;

use std::fs;
use std::path::{Path, PathBuf};

pub use chrono;
pub use oci_spec;
pub use oci_spec::image::{
    Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest, MediaType,
};

pub use archive::{ArchiveFormat, LoadedImage};
pub use blobs::{BlobInfo, BlobWriter};
pub use chain::{chain_id, chain_ids};
pub use compression::{decompress, Compression};
pub use digest::{
    digest_hex, is_full_hex, parse_digest, sha256_digest, HashingReader, HashingWriter,
};
pub use error::{Error, Result};
pub use gc::{GcRoots, PruneReport};
pub use images::{
    platform_list, spelled, Image, ImageSummary, ManifestFlavor, PlatformEntry, PlatformManifest,
    RemovedImage,
};
pub use inflate_thread::{decompress_threaded, InflateReader};
pub use layers::{LayerInfo, LayerWriter};
pub use limits::{parse_size, ImageBudget, UnpackLimits};
pub use reference::{familiar_name, normalize_reference, ImageRef};
pub use skiff_core::lock::{LockError, LockGuard, LockKind};
pub use skiff_core::platform::{arm_variant_from_cpuinfo, host_arm_variant, Platform};
pub use snapshots::dir_size;
pub use unpack::{is_tar_archive, unpack_add_archive};

/// Block until the lock at `path` is held ([`skiff_core::lock::lock_file`]
/// with the store's error).
pub fn lock_file(path: &Path, kind: LockKind) -> Result<LockGuard> {
    Ok(skiff_core::lock::lock_file(path, kind)?)
}

/// Take the lock at `path` if nobody holds a conflicting one; `None`
/// otherwise ([`skiff_core::lock::try_lock_file`] with the store's error).
pub fn try_lock_file(path: &Path, kind: LockKind) -> Result<Option<LockGuard>> {
    Ok(skiff_core::lock::try_lock_file(path, kind)?)
}

/// Disk usage of a directory tree (regular files' sizes, each inode once,
/// symlinks not followed). Same as [`dir_size`].
pub fn dir_size_of(p: &Path) -> u64 {
    snapshots::dir_size(p)
}

use error::IoPath;

/// Media types docker uses (oci-spec only names the OCI ones).
pub mod media {
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

    /// A manifest list / image index media type.
    pub fn is_index(mt: &str) -> bool {
        mt == DOCKER_MANIFEST_LIST || mt == OCI_INDEX
    }
    /// A single-platform manifest media type.
    pub fn is_manifest(mt: &str) -> bool {
        mt == DOCKER_MANIFEST || mt == OCI_MANIFEST
    }
}

/// Handle on a store directory. Cheap to clone; holds no open files, so it
/// can live as long as a container runs without blocking anything.
#[derive(Clone)]
pub struct Store {
    root: PathBuf,
    gc_roots: std::sync::Arc<std::sync::Mutex<Vec<std::sync::Arc<dyn GcRoots>>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("root", &self.root).finish()
    }
}

impl Store {
    /// Open (creating if needed) the store at `root`.
    pub fn open(root: &Path) -> Result<Store> {
        let root = if root.is_absolute() {
            root.to_path_buf()
        } else {
            std::env::current_dir()
                .ctx(|| "current directory".into())?
                .join(root)
        };
        fs::create_dir_all(&root).at(&root)?;
        for d in ["blobs/sha256", "images", "snapshots", "locks", "tmp"] {
            let p = root.join(d);
            // 0700 like the root (see `perms`).
            std::os::unix::fs::DirBuilderExt::mode(fs::DirBuilder::new().recursive(true), 0o700)
                .create(&p)
                .at(&p)?;
        }
        if let Err(e) = perms::secure_store(&root) {
            // A store skiff may use but not chmod (not its owner): still
            // usable, as before.
            tracing::warn!("cannot make the store private: {e}");
        }
        let store = Store {
            root,
            gc_roots: Default::default(),
        };
        store.sweep_stale_temps();
        Ok(store)
    }

    /// The store root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Temp area on the store's filesystem (for atomic renames into the store).
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Lock files directory.
    pub fn locks_dir(&self) -> PathBuf {
        self.root.join("locks")
    }

    /// Reserved for the runtime: container state.
    pub fn containers_dir(&self) -> PathBuf {
        self.root.join("containers")
    }

    /// Reserved for the runtime: named volumes.
    pub fn volumes_dir(&self) -> PathBuf {
        self.root.join("volumes")
    }

    /// Reserved for the builder: its cache.
    pub fn buildcache_dir(&self) -> PathBuf {
        self.root.join("buildcache")
    }

    /// Hold this while writing blobs/snapshots that no image references yet
    /// (pull, build, load): prune waits until every lease is dropped. Keep
    /// leases short (one operation), never for a container's lifetime, and
    /// never call [`Store::prune`] while holding one (it would wait for
    /// itself). Containers protect their content with [`Store::pin`].
    pub fn lease(&self) -> Result<LockGuard> {
        lock_file(&self.locks_dir().join("gc.lock"), LockKind::Shared)
    }
}
