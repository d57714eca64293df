//! The container device allow-list on cgroup v2, in pure Rust.
//!
//! cgroup v2 has no `devices.allow` file: runc and youki attach an eBPF
//! `BPF_PROG_TYPE_CGROUP_DEVICE` program to the container's cgroup instead.
//! youki builds it with libbpf (a C library that would break skiff's fully
//! static musl build), so skiff's libcontainer is built without that
//! feature and this crate does the job: [`rules`] checks the OCI
//! `linux.resources.devices` entries, [`program`] generates the eBPF
//! instructions, [`bpf`] loads and attaches them with the raw bpf(2)
//! syscall, and [`cgroup`] finds (and on hybrid hosts joins) the v2
//! directory. Works on x86_64, aarch64 and 32-bit ARM.
//!
//! ```no_run
//! # let rules = vec![];
//! skiff_devices::apply(std::path::Path::new("/sys/fs/cgroup/skiff/abc"), &rules)?;
//! # Ok::<(), skiff_devices::Error>(())
//! ```

pub mod bpf;
pub mod cgroup;
mod error;
#[cfg(test)]
mod interp;
pub mod program;
pub mod rules;

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

pub use error::Error;
pub use oci_spec::runtime::LinuxDeviceCgroup;

/// The name skiff's programs carry in the kernel: how [`apply`] recognises
/// its own earlier program on a cgroup (and `bpftool cgroup show` names it).
pub const PROGRAM_NAME: &str = "skiff_devices";

/// Enforce `rules` on every process of the cgroup v2 directory `dir`:
/// generate the program, load it and attach it with BPF_F_ALLOW_MULTI (so
/// programs of parent cgroups, systemd's for one, keep applying too). A
/// program skiff attached there before is replaced, atomically where the
/// kernel can (5.6+), else the new one is attached before the old one goes,
/// so the cgroup is never left unfiltered. An empty list restricts
/// nothing, as on cgroup v1 where a cgroup no rule was written to allows
/// every device.
pub fn apply(dir: &Path, rules: &[LinuxDeviceCgroup]) -> Result<(), Error> {
    let mut parsed = rules::parse(rules)?;
    if parsed.is_empty() {
        parsed.push(rules::Rule::ALLOW_ALL);
    }
    let program = program::generate(&parsed)?;
    let prog = bpf::load(&program, PROGRAM_NAME)?;
    let cgroup = std::fs::File::open(dir).map_err(|e| Error::cgroup(dir, e))?;
    let old = attached_by_skiff(cgroup.as_fd())?;
    if let [previous] = old.as_slice() {
        match bpf::attach(cgroup.as_fd(), prog.as_fd(), Some(previous.as_fd())) {
            Ok(()) => return Ok(()),
            // Kernels before 5.6 know no BPF_F_REPLACE.
            Err(Error::Bpf { source, .. }) if source.raw_os_error() == Some(libc::EINVAL) => {}
            Err(e) => return Err(e),
        }
    }
    bpf::attach(cgroup.as_fd(), prog.as_fd(), None)?;
    for previous in &old {
        bpf::detach(cgroup.as_fd(), previous.as_fd())?;
    }
    Ok(())
}

/// Programs named [`PROGRAM_NAME`] attached to the cgroup itself.
fn attached_by_skiff(cgroup: std::os::fd::BorrowedFd) -> Result<Vec<OwnedFd>, Error> {
    let mut out = Vec::new();
    for id in bpf::query(cgroup)? {
        // A program detached meanwhile is simply gone.
        let Ok(fd) = bpf::prog_by_id(id) else {
            continue;
        };
        if bpf::prog_name(fd.as_fd())? == PROGRAM_NAME {
            out.push(fd);
        }
    }
    Ok(out)
}
