//! Where a container's pieces live inside the store root.
//!
//! ```text
//! <root>/containers/<id>/        one directory per container
//!     container.json             what was asked for (ContainerConfig)
//!     state.json                 what is happening (State), atomically replaced
//!     lock                       flock()ed by writers of state.json and by rm
//!     config.json                the OCI spec handed to libcontainer (bundle)
//!     rootfs/ upper/ work/ l/    overlayfs mount point, upper/work dirs, short layer links
//!     hosts resolv.conf hostname bind-mounted into the container
//!     ctr.log                    json-file log of a detached container
//! <root>/containers/names/<name> symlink to the id: atomic name reservation
//! <root>/lc/<id>/                libcontainer's own state while a process runs
//! <root>/volumes/<name>/_data    named volumes
//! <root>/exe-seal/               empty lower layer of the sealed skiff binary (selfexe)
//! <root>/seccomp/<env>-<caps>    docker's default seccomp profile compiled (seccomp_cache)
//! ```

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn new(root: impl Into<PathBuf>) -> Layout {
        Layout { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn containers(&self) -> PathBuf {
        self.root.join("containers")
    }

    pub fn container(&self, id: &str) -> PathBuf {
        self.containers().join(id)
    }

    pub fn names(&self) -> PathBuf {
        self.containers().join("names")
    }

    /// libcontainer's state root. Kept short: libcontainer puts a unix
    /// socket under `<lc>/<id>/` and socket paths are limited to 108 bytes.
    pub fn libcontainer_root(&self) -> PathBuf {
        self.root.join("lc")
    }

    pub fn volumes(&self) -> PathBuf {
        self.root.join("volumes")
    }

    pub fn volume(&self, name: &str) -> PathBuf {
        self.volumes().join(name)
    }
}
