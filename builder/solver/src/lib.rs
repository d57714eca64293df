//! skiff build solver: the frontend's stage graph becomes work. The build
//! goes frontend (skiff-frontend: parse, expand, plan) → solve → export.
//!
//! Solve:
//! - `solve`: bases resolved up front, stages on threads, each step looked
//!   up in the cache by a chained key; one file per instruction family
//!   (`solve/metadata`, `solve/copy`, `solve/run`, `solve/run_mounts`).
//! - `context`: the build context, .dockerignore, cached content hashes.
//! - `tree`: read-only views COPY reads (merged layer snapshots, real
//!   directories resolved in root).
//! - `copy`: COPY/ADD semantics (plan, then execute into an upper dir).
//! - `run`: the typed request a RUN is to a container runtime;
//!   `runtime_runner` answers it with skiff-runtime.
//! - `layer`: directory → deterministic tar → compressed blob with digests.
//! - `cache`: step cache records under `<store>/buildcache/`.
//! - `cache_export`: `--cache-to` / `--cache-from` (registry, local,
//!   inline).
//! - `imageconfig`: docker-format image config edits.
//! - `squash`: `--squash`.
//! - `add_source`: ADD's remote sources (http(s) downloads, git checkouts).
//! - `progress`: plain / tty / quiet output.
//!
//! Export:
//! - `export`: where the result goes: the image store, local, tar, oci,
//!   docker, registry.

pub mod add_source;
pub mod cache;
pub mod cache_export;
pub mod change;
mod contenthash;
pub mod context;
pub mod copy;
pub mod error;
pub mod export;
pub mod imageconfig;
pub mod layer;
pub mod progress;
pub mod run;
pub mod runtime_runner;
pub mod secrets;
pub mod solve;
pub mod squash;
pub mod ssh_agent;
pub mod tree;
pub mod url_cache;
pub mod usage;

pub use error::{BuildError, Result};
pub use solve::{
    build, build_platforms, BuildOptions, BuildResult, MultiPlatformResult, PlatformBuild, Secret,
};
