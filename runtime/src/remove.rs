//! Removing a container: whatever its runtime process left (libcontainer
//! state, cgroup, rootfs mount), its name, anonymous volumes, its directory.

use crate::config::{ContainerConfig, MountKind};
use crate::error::{io_at, Result};
use crate::paths::Layout;
use crate::{cgroups, rootfs, state};

pub fn remove_files(layout: &Layout, cfg: &ContainerConfig, volumes: bool) -> Result<()> {
    remove_files_with(layout, cfg, volumes, false, false)
}

/// [`remove_files`]; with `background`, the directory (already renamed out
/// of sight, so no skiff command sees the container any more) is deleted by
/// a detached child, so a foreground `--rm` exits without waiting for the
/// disk; the same child then settles the network the teardown left idle
/// (`teardown(.., keep_idle_network)`). Only for single-threaded callers
/// that exit right after (it forks a child it does not wait for).
/// `torn_down`: the caller's own `launch::teardown` just released the
/// libcontainer state, cgroup, network and rootfs mount, so looking for
/// them again (a mountinfo read, a cgroupfs scan, the network lock) is
/// skipped: it is on the exit path of every `run --rm`.
pub fn remove_files_with(
    layout: &Layout,
    cfg: &ContainerConfig,
    volumes: bool,
    background: bool,
    torn_down: bool,
) -> Result<()> {
    crate::events::container(layout, cfg, "destroy", &[]);
    let dir = layout.container(&cfg.id);
    if !torn_down {
        release_runtime_leftovers(layout, cfg, &dir);
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
    let renamed = std::fs::rename(&dir, &trash).is_ok();
    let target = if renamed { trash } else { dir };
    if background && renamed && delete_in_background(layout, &cfg.id, &target) {
        return Ok(());
    }
    let removed = match std::fs::remove_dir_all(&target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_at("cannot remove", &target, e)),
    };
    if background {
        crate::net::settle_after(
            crate::net::defer_settle(layout, &cfg.id),
            std::time::Duration::ZERO,
        );
    }
    removed
}

/// What a runtime process that died left: libcontainer state, cgroup,
/// network attachment, rootfs mount.
fn release_runtime_leftovers(layout: &Layout, cfg: &ContainerConfig, dir: &std::path::Path) {
    let lc = layout.libcontainer_root().join(&cfg.id);
    if lc.exists() {
        if let Ok(mut c) = libcontainer::container::Container::load(lc.clone()) {
            let _ = c.delete(true);
        }
        let _ = std::fs::remove_dir_all(&lc);
    }
    cgroups::sweep(&cfg.id);
    // Idempotent: also releases what a SIGKILLed monitor left attached.
    crate::net::detach(layout, &cfg.id);
    if rootfs::is_mounted(dir) {
        rootfs::unmount(dir);
    }
}

/// Fork a detached child that deletes `path` and then settles the
/// network; true if it was started. One fork, not a double fork: the only
/// caller (the foreground runner, at a `--rm` container's exit) exits
/// right after, so the child is re-parented and reaped like a grandchild
/// would be, without the runner waiting for an intermediate process to be
/// scheduled, fork and exit (1 to 3 ms under load, on the exit path).
fn delete_in_background(layout: &Layout, id: &str, path: &std::path::Path) -> bool {
    // Read before the fork: the root may be deleted as soon as we exit.
    let deferred = crate::net::defer_settle(layout, id);
    // SAFETY: the caller is single threaded; the child only makes
    // syscalls and std::fs calls, then _exit.
    unsafe {
        match libc::fork() {
            -1 => false,
            0 => {
                libc::setsid();
                // Let go of the terminal and of any pipe a caller waits on.
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                for fd in 0..3 {
                    libc::dup2(null, fd);
                }
                libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
                let _ = std::fs::remove_dir_all(path);
                crate::net::settle_after(deferred, crate::net::IDLE_GRACE);
                libc::_exit(0)
            }
            _ => true,
        }
    }
}
