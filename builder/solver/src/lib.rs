//! skiff build solver: the frontend's stage graph becomes work.
//!
//! Modules, one concept each:
//! - `layer`: directory → deterministic tar → compressed blob with digests.
//! - `tree`: read-only views (merged layer snapshots, plain dirs) COPY reads.
//! - `context`: the build context, .dockerignore, cached content hashes.
//! - `copy`: COPY/ADD semantics (plan + execute into an upper dir).

pub mod context;
pub mod copy;
pub mod error;
pub mod layer;
pub mod tree;

pub use error::{BuildError, Result};
