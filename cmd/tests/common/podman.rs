//! podman as a peer: its own storage under a test's temp dir, and the
//! containers.conf the dev VM needs (runc, cgroupfs, low ulimits; see
//! DEVELOPERS.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Write `dir/containers.conf` (once) and return its path.
pub fn containers_conf(dir: &Path) -> PathBuf {
    let conf = dir.join("containers.conf");
    if !conf.exists() {
        std::fs::write(
            &conf,
            "[containers]\ndefault_ulimits = [\"nofile=1024:1024\",\"nproc=1024:1024\"]\n\
             [engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n",
        )
        .unwrap();
    }
    conf
}

/// `podman` with its config, root and runroot all under `dir`.
pub fn podman(dir: &Path) -> Command {
    let mut c = Command::new("podman");
    c.env("CONTAINERS_CONF", containers_conf(dir))
        .arg("--root")
        .arg(dir.join("root"))
        .arg("--runroot")
        .arg(dir.join("run"));
    c
}

/// `podman ARGS...` under `dir`, success or not.
pub fn podman_run(dir: &Path, args: &[&str]) -> Output {
    podman(dir).args(args).output().unwrap()
}
