//! `docker rename`: move a container's name reservation to a new name.
//!
//! The new name is reserved first (the atomic symlink of
//! [`state::reserve_name`]), then `container.json` is rewritten under the
//! container's lock, then the old reservation is dropped: a crash in
//! between leaves the container reachable by both names, never by none.

use crate::error::{Error, Result};
use crate::paths::Layout;
use crate::state;

/// Rename the container `id` to `new_name` (docker's name rules and
/// messages).
pub fn rename(layout: &Layout, id: &str, new_name: &str) -> Result<()> {
    let new_name = state::checked_name(new_name)?;
    let dir = layout.container(id);
    let _lock = state::lock(&dir)?;
    let mut cfg = state::load_config(&dir)?;
    if cfg.name == new_name {
        return Err(Error::Invalid(
            "Renaming a container with the same name as its current name".into(),
        ));
    }
    state::reserve_name(layout, new_name, id)?;
    let old = std::mem::replace(&mut cfg.name, new_name.to_string());
    if let Err(e) = state::save_config(&dir, &cfg, true) {
        state::release_name(layout, new_name, id);
        return Err(e);
    }
    state::release_name(layout, &old, id);
    crate::events::container(layout, &cfg, "rename", &[("oldName", &format!("/{old}"))]);
    Ok(())
}
