//! skiff build solver: the frontend's stage graph becomes work.
//!
//! Modules, one concept each:
//! - `layer`: directory → deterministic tar → compressed blob with digests.
//! - `tree`: read-only views (merged layer snapshots, plain dirs) COPY reads.
//! - `context`: the build context, .dockerignore, cached content hashes.
//! - `copy`: COPY/ADD semantics (plan + execute into an upper dir).

//! - `cache`: step cache records under `<store>/buildcache/`.
//! - `imageconfig`: docker-format image config edits.
//! - `solve`: stages on threads, steps, the final image.
//! - `run`: the interface RUN needs from a container runtime.
//! - `progress`: plain / tty / quiet output.
//! - `export`: outputs other than the image store.

pub mod cache;
pub mod change;
pub mod context;
pub mod copy;
pub mod error;
pub mod export;
pub mod fetch;
pub mod imageconfig;
pub mod layer;
pub mod progress;
pub mod run;
pub mod runtime_runner;
pub mod secrets;
pub mod solve;
pub mod squash;
pub mod tree;
pub mod usage;

pub use error::{BuildError, Result};
pub use solve::{build, BuildOptions, BuildResult, Secret};
