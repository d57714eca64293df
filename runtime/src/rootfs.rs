//! The container's root filesystem: an overlayfs over the image's layer
//! snapshots with a per-container upper and work dir, plus the files docker
//! bind-mounts over /etc (hosts, resolv.conf, hostname).
//!
//! The overlay is mounted by the runtime process when the container starts
//! and unmounted when it exits, so a stopped container leaves nothing in
//! /proc/mounts; the upper dir keeps its changes until `rm`.

use std::ffi::CString;
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::path::Path;

use skiff_core::inroot::{Root, Walk};

use crate::config::{ContainerConfig, Network};
use crate::error::{errno, io, io_at, Error, Result};

/// Mount the overlay at `<dir>/rootfs`.
///
/// The mount data is limited to one page, which a few dozen absolute layer
/// paths exceed; the layers are linked as `l/0`, `l/1`... and the mount is
/// made after a chdir into the container dir with relative paths (the kernel
/// resolves them against the caller's cwd). The runtime process is single
/// threaded, so the chdir cannot race another thread.
///
/// `volatile` (for `--rm` containers, whose changes die with them) skips
/// every sync of the upper layer, notably the one at unmount, which costs
/// tens to hundreds of milliseconds on a busy disk. Kernels without it
/// (before 5.10) get a plain mount.
pub fn mount_overlay(dir: &Path, layers: &[std::path::PathBuf], volatile: bool) -> Result<()> {
    if layers.is_empty() {
        return Err(Error::Invalid("image has no layers".into()));
    }
    for sub in ["rootfs", "upper", "work", "l"] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).map_err(|e| io_at("cannot create", &p, e))?;
    }
    let lower = link_layers(dir, layers)?;
    let data = format!("lowerdir={lower},upperdir=upper,workdir=work");
    let prev = std::env::current_dir().ok();
    std::env::set_current_dir(dir).map_err(|e| io_at("cannot enter", dir, e))?;
    let mount = |data: &str| {
        nix::mount::mount(
            Some("overlay"),
            "rootfs",
            Some("overlay"),
            nix::mount::MsFlags::empty(),
            Some(data),
        )
    };
    let res = if volatile {
        mount(&format!("{data},volatile")).or_else(|_| mount(&data))
    } else {
        mount(&data)
    };
    if let Some(p) = prev {
        let _ = std::env::set_current_dir(p);
    } else {
        let _ = std::env::set_current_dir("/");
    }
    res.map_err(|e| {
        errno(
            format!("cannot mount overlay rootfs at {}/rootfs", dir.display()),
            e,
        )
    })
}

/// Link the layers as `<dir>/l/0`, `l/1`... (kept when already right) and
/// return them as overlayfs's `lowerdir` list, relative to `dir`.
pub(crate) fn link_layers(dir: &Path, layers: &[std::path::PathBuf]) -> Result<String> {
    let l = dir.join("l");
    std::fs::create_dir_all(&l).map_err(|e| io_at("cannot create", &l, e))?;
    let mut lower = String::new();
    // overlayfs lists the top-most lower dir first; layers are base first.
    for (i, layer) in layers.iter().enumerate().rev() {
        let link = l.join(i.to_string());
        match std::fs::read_link(&link) {
            Ok(t) if t == *layer => {}
            _ => {
                let _ = std::fs::remove_file(&link);
                std::os::unix::fs::symlink(layer, &link)
                    .map_err(|e| io_at("cannot link layer", &link, e))?;
            }
        }
        if !lower.is_empty() {
            lower.push(':');
        }
        lower.push_str(&format!("l/{i}"));
    }
    Ok(lower)
}

/// Unmount the rootfs if mounted (lazily, so a process still holding it
/// open cannot make `rm` fail).
pub fn unmount(dir: &Path) {
    let target = dir.join("rootfs");
    if let Ok(c) = CString::new(target.as_os_str().as_encoded_bytes()) {
        // SAFETY: plain syscall on a NUL-terminated path.
        unsafe {
            if libc::umount2(c.as_ptr(), 0) != 0 {
                libc::umount2(c.as_ptr(), libc::MNT_DETACH);
            }
        }
    }
}

/// Whether `<dir>/rootfs` is currently a mount point (for `rm` of a
/// container whose runtime process died).
pub fn is_mounted(dir: &Path) -> bool {
    let target = dir.join("rootfs");
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let t = target.to_string_lossy();
    mounts.lines().any(|l| l.split(' ').nth(4) == Some(&t))
}

/// Write hosts, resolv.conf and hostname the way docker does for the
/// container's network mode.
pub fn write_etc_files(dir: &Path, cfg: &ContainerConfig) -> Result<()> {
    let host_name = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".into());
    let hostname = if (cfg.network == Network::Host || cfg.host.uts_host) && cfg.hostname.is_empty()
    {
        host_name
    } else {
        cfg.hostname.clone()
    };
    let hosts = match cfg.network {
        Network::Host => std::fs::read_to_string("/etc/hosts").unwrap_or_default(),
        _ => {
            let mut h = String::from(
                "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
                 fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
            );
            h.push_str(&format!("127.0.1.1\t{hostname}\n"));
            h
        }
    };
    let mut hosts = hosts;
    for (name, ip) in &cfg.add_hosts {
        hosts.push_str(&format!("{ip}\t{name}\n"));
    }
    write(dir, "hosts", &hosts)?;
    let resolv = match cfg.network {
        // A private netns has no route to the host's resolvers (notably
        // 127.0.0.53 stub resolvers): docker writes an empty-nameserver file
        // for `none`.
        Network::None => String::new(),
        _ => std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default(),
    };
    write(dir, "resolv.conf", &resolv)?;
    write(dir, "hostname", &format!("{hostname}\n"))
}

/// `--dns`, `--dns-search`, `--dns-option` replace the matching lines of
/// the resolv.conf written for the network mode, as docker's do; the rest
/// is kept.
pub fn apply_dns_flags(dir: &Path, cfg: &ContainerConfig) -> Result<()> {
    let h = &cfg.host.dns;
    if h.is_empty() {
        return Ok(());
    }
    let p = dir.join("resolv.conf");
    let old = std::fs::read_to_string(&p).unwrap_or_default();
    let mut out = String::new();
    for line in old.lines() {
        let key = line.split_whitespace().next().unwrap_or("");
        let replaced = (key == "nameserver" && !h.servers.is_empty())
            || ((key == "search" || key == "domain") && !h.search.is_empty())
            || (key == "options" && !h.options.is_empty());
        if !replaced {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !h.search.is_empty() && h.search != ["."] {
        out.push_str(&format!("search {}\n", h.search.join(" ")));
    }
    for ns in &h.servers {
        out.push_str(&format!("nameserver {ns}\n"));
    }
    if !h.options.is_empty() {
        out.push_str(&format!("options {}\n", h.options.join(" ")));
    }
    write(dir, "resolv.conf", &out)
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    let p = dir.join(name);
    std::fs::write(&p, text).map_err(|e| io_at("cannot write", &p, e))
}

/// Create the working directory inside the rootfs if the image lacks it,
/// as docker does, owned by the container's user. The path is the image's
/// (or `-w`'s): it is resolved and created inside the rootfs by
/// descriptors, so no symlink in the image can make it land on the host.
pub fn ensure_workdir(rootfs: &Path, workdir: &str, uid: u32, gid: u32) -> Result<()> {
    if workdir.is_empty() || workdir == "/" {
        return Ok(());
    }
    let root = Root::new(rootfs)?;
    match root.resolve(workdir, Walk::FOLLOW) {
        Ok(r) if r.is_dir().unwrap_or(false) => return Ok(()),
        Ok(_) => {
            return Err(io(
                format!("cannot create working directory {workdir}"),
                std::io::Error::from_raw_os_error(libc::ENOTDIR),
            ))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let dir = root.mkdir_all(workdir, 0o755)?;
    // The O_PATH descriptor itself, not its path: AT_EMPTY_PATH.
    let _ = nix::unistd::fchownat(
        Some(dir.fd.as_raw_fd()),
        "",
        Some(nix::unistd::Uid::from_raw(uid)),
        Some(nix::unistd::Gid::from_raw(gid)),
        nix::fcntl::AtFlags::AT_EMPTY_PATH,
    );
    Ok(())
}

/// Make sure each mount destination exists in the rootfs before libcontainer
/// mounts over it, as a file for file binds and a directory otherwise.
/// libcontainer creates directories itself but not file targets. Best
/// effort (libcontainer reports a target it cannot use), but always inside
/// the rootfs: the destinations are resolved there by descriptors.
pub fn ensure_mount_targets(rootfs: &Path, targets: &[(String, bool)]) {
    let Ok(root) = Root::new(rootfs) else {
        return;
    };
    for (dest, is_file) in targets {
        match root.resolve(dest, Walk::FOLLOW) {
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            _ => continue, // there already, or unusable: libcontainer says so
        }
        let made = if *is_file {
            create_file(&root, dest)
        } else {
            root.mkdir_all(dest, 0o755).map(drop)
        };
        if let Err(e) = made {
            tracing::debug!("mount target {dest}: {e}");
        }
    }
}

/// An empty file at `dest` (and its missing parent directories).
fn create_file(
    root: &Root,
    dest: &str,
) -> std::result::Result<(), skiff_core::inroot::InRootError> {
    let Some(parent) = Path::new(dest).parent() else {
        return Ok(());
    };
    root.mkdir_all(parent, 0o755)?;
    // O_NONBLOCK: should a FIFO appear there meanwhile, never wait on it.
    root.open(
        dest,
        libc::O_WRONLY | libc::O_CREAT | libc::O_NONBLOCK,
        0o644,
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, MetadataExt};

    /// A rootfs with a chain of 41 symlinks `/l41` → ... → `/l0` → a canary
    /// directory outside it, by its host path.
    fn chained() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let d = skiff_core::testing::temp_tree(&[("rootfs/", ""), ("canary/", "")]);
        let root = d.path().join("rootfs");
        let canary = d.path().join("canary");
        symlink(&canary, root.join("l0")).unwrap();
        for i in 1..=41 {
            symlink(format!("/l{}", i - 1), root.join(format!("l{i}"))).unwrap();
        }
        (d, root, canary)
    }

    // Issue 13, item 1: the old resolver returned `<rootfs>/l41/app` after
    // 40 symlinks and create_dir_all followed the chain to the host,
    // making `canary/app` outside the rootfs.
    #[test]
    fn a_41_symlink_workdir_creates_nothing_outside() {
        let (_d, root, canary) = chained();
        let e = ensure_workdir(&root, "/l41/app", 0, 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("/l41/app"), "{e}");
        assert!(e.contains("symbolic links"), "{e}");
        assert_eq!(std::fs::read_dir(&canary).unwrap().count(), 0);
        // A shorter chain ends at the canary's host path *inside* the
        // rootfs: that is where the directory is made.
        ensure_workdir(&root, "/l5/app", 4242, 4243).unwrap();
        assert_eq!(std::fs::read_dir(&canary).unwrap().count(), 0);
        let inside = root.join(canary.strip_prefix("/").unwrap()).join("app");
        let md = std::fs::metadata(&inside).unwrap();
        assert!(md.is_dir());
        assert_eq!((md.uid(), md.gid()), (4242, 4243));
        ensure_workdir(&root, "/l5/app", 0, 0).unwrap();
        std::fs::write(root.join("file"), b"").unwrap();
        assert!(ensure_workdir(&root, "/file", 0, 0).is_err());
    }

    #[test]
    fn mount_targets_are_made_inside_only() {
        let (_d, root, canary) = chained();
        ensure_mount_targets(
            &root,
            &[
                ("/l41/f".into(), true),
                ("/l41/d".into(), false),
                ("/etc/hosts".into(), true),
                ("/mnt/data".into(), false),
            ],
        );
        assert_eq!(std::fs::read_dir(&canary).unwrap().count(), 0);
        assert!(root.join("etc/hosts").is_file());
        assert!(root.join("mnt/data").is_dir());
    }
}
