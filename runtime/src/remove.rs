//! Removing a container: whatever its runtime process left (libcontainer
//! state, cgroup, rootfs mount), its name, anonymous volumes, its directory.

use crate::config::{ContainerConfig, MountKind};
use crate::error::{io_at, Result};
use crate::paths::Layout;
use crate::{cgroups, rootfs, state};

pub fn remove_files(layout: &Layout, cfg: &ContainerConfig, volumes: bool) -> Result<()> {
    let dir = layout.container(&cfg.id);
    let lc = layout.libcontainer_root().join(&cfg.id);
    if lc.exists() {
        if let Ok(mut c) = libcontainer::container::Container::load(lc.clone()) {
            let _ = c.delete(true);
        }
        let _ = std::fs::remove_dir_all(&lc);
    }
    cgroups::sweep(&cfg.id);
    if rootfs::is_mounted(&dir) {
        rootfs::unmount(&dir);
    }
    state::release_name(layout, &cfg.name, &cfg.id);
    if !cfg.image_id.is_empty() {
        // `skiff run` pinned the image for the container's lifetime
        // (`Store::pin("containers", id)`). The pin is a plain file by the
        // store's design; removing it directly spares opening the store on
        // every `--rm` exit.
        let _ = std::fs::remove_file(layout.root().join("pins/containers").join(&cfg.id));
    }
    if volumes {
        for m in &cfg.mounts {
            if m.kind == MountKind::Volume && m.anonymous {
                let _ = std::fs::remove_dir_all(layout.volume(&m.source));
            }
        }
    }
    // Rename first so a concurrent `ps` never sees a half-deleted container.
    let trash = layout.containers().join(format!(".rm-{}", cfg.id));
    let target = if std::fs::rename(&dir, &trash).is_ok() {
        trash
    } else {
        dir
    };
    match std::fs::remove_dir_all(&target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_at("cannot remove", &target, e)),
    }
}
