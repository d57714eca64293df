//! skiff build solver: the frontend's stage graph becomes work.
//!
//! Modules, one concept each:
//! - `layer`: directory → deterministic tar → compressed blob with digests.

pub mod layer;
