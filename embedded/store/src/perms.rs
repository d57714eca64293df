//! The store is root's alone, as docker's /var/lib/docker (0710) and
//! podman's storage (0700) are.
//!
//! Unpacked layers keep their files' owners and modes, setuid-root
//! binaries included, and container configs hold `-e` values: with a
//! world-searchable store any local user could run a layer's setuid file
//! or read a secret. Nothing needs to walk the store but skiff itself (as
//! the store's owner): containers see layers through their overlay mount
//! and volumes through bind mounts, where the kernel checks the overlay's
//! lower and upper dirs with the mounter's credentials and a bind mount
//! never looks at the source's parents. So the root and every directory
//! directly under it are 0700 (the subdirectories too, so a descriptor
//! opened on one of them while a store was still 0755 is no way in), and
//! the runtime writes container configs and state 0600.
//!
//! Stores made before this get their modes fixed on first use: the root,
//! its subdirectories, and the container files that may hold secrets. The
//! marker file [`MARKER`] records that it ran, so later opens cost one
//! `stat`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::{IoPath, Result};

/// Present once the store's modes are the ones above.
pub const MARKER: &str = ".modes-v1";

/// Container files written with `-e` values in them.
const SECRET_FILES: [&str; 3] = ["container.json", "state.json", "config.json"];

pub(crate) fn secure_store(root: &Path) -> Result<()> {
    let marker = root.join(MARKER);
    if marker.exists() {
        return Ok(());
    }
    chmod(root, 0o700)?;
    for e in fs::read_dir(root).at(root)?.flatten() {
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            chmod(&e.path(), 0o700)?;
        }
    }
    let containers = root.join("containers");
    if let Ok(rd) = fs::read_dir(&containers) {
        for c in rd.flatten() {
            for f in SECRET_FILES {
                let p = c.path().join(f);
                // symlink_metadata: never chmod through a link.
                if p.symlink_metadata().map(|m| m.is_file()).unwrap_or(false) {
                    chmod(&p, 0o600)?;
                }
            }
            if let Ok(files) = fs::read_dir(c.path()) {
                for f in files.flatten() {
                    let name = f.file_name();
                    let name = name.to_string_lossy();
                    if name.starts_with("exec-") && name.ends_with(".json") {
                        chmod(&f.path(), 0o600)?;
                    }
                }
            }
        }
    }
    fs::write(&marker, b"").at(&marker)?;
    Ok(())
}

fn chmod(p: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).at(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn mode(p: &Path) -> u32 {
        fs::symlink_metadata(p).unwrap().mode() & 0o7777
    }

    #[test]
    fn a_new_store_is_private() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("store");
        crate::Store::open(&root).unwrap();
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("snapshots")), 0o700);
        assert!(root.join(MARKER).exists());
    }

    #[test]
    fn an_old_store_is_migrated_once() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("store");
        let ctr = root.join("containers/abc");
        fs::create_dir_all(&ctr).unwrap();
        for f in ["container.json", "config.json", "exec-12.json", "hosts"] {
            fs::write(ctr.join(f), b"{}").unwrap();
            chmod(&ctr.join(f), 0o644).unwrap();
        }
        chmod(&root, 0o755).unwrap();
        crate::Store::open(&root).unwrap();
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("containers")), 0o700);
        assert_eq!(mode(&ctr.join("container.json")), 0o600);
        assert_eq!(mode(&ctr.join("config.json")), 0o600);
        assert_eq!(mode(&ctr.join("exec-12.json")), 0o600);
        // Bind-mounted into the container: not a secret.
        assert_eq!(mode(&ctr.join("hosts")), 0o644);
        // Once: a mode set on purpose afterwards is left alone.
        chmod(&root, 0o710).unwrap();
        crate::Store::open(&root).unwrap();
        assert_eq!(mode(&root), 0o710);
    }
}
