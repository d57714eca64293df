//! Container events into the store's event log (`skiff events`), with the
//! attributes docker gives them: the container's name and image, plus what
//! the action adds (`exitCode`, `signal`, `oldName`).

use crate::config::ContainerConfig;
use crate::paths::Layout;

/// Record `action` of container `cfg`.
pub fn container(layout: &Layout, cfg: &ContainerConfig, action: &str, extra: &[(&str, &str)]) {
    let mut attrs: Vec<(&str, &str)> = vec![("name", &cfg.name), ("image", &cfg.image)];
    attrs.extend_from_slice(extra);
    skiff_store::events::record(layout.root(), "container", action, &cfg.id, &attrs);
}

/// [`container`] for a container known by id only (its config is read).
pub fn container_id(layout: &Layout, id: &str, action: &str, extra: &[(&str, &str)]) {
    if let Ok(cfg) = crate::state::load_config(&layout.container(id)) {
        container(layout, &cfg, action, extra);
    }
}
