//! Starting and tearing down one container, inside a runtime process (see
//! the crate docs: always single threaded, never the CLI's own process when
//! it may have threads).

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;

use libcontainer::container::builder::ContainerBuilder;
use libcontainer::container::Container;
use libcontainer::syscall::syscall::SyscallType;

use crate::config::{ContainerConfig, MountKind, Network, Seccomp};
use crate::error::{io_at, Error, Result};
use crate::executor::SkiffExecutor;
use crate::paths::Layout;
use crate::tty::ConsoleSocket;
use crate::{cgroups, rootfs, security, spec, user, volumes};

/// How the container's stdio is wired.
pub enum Stdio {
    /// fds 0, 1, 2 of the runtime process itself (foreground without a tty);
    /// stdin is /dev/null unless `open_stdin`.
    Inherit { open_stdin: bool },
    /// Explicit fds (the detached monitor's pipes).
    Fds {
        stdin: OwnedFd,
        stdout: OwnedFd,
        stderr: OwnedFd,
    },
    /// A pty, whose master comes back in [`Launched::pty_master`].
    Tty,
}

pub struct Launched {
    pub container: Container,
    pub pid: i32,
    pub pty_master: Option<OwnedFd>,
}

/// Mount the rootfs, write the spec and start the container's process.
/// On failure everything set up so far is undone.
pub fn launch(layout: &Layout, cfg: &ContainerConfig, stdio: Stdio) -> Result<Launched> {
    let dir = layout.container(&cfg.id);
    clear_stale(layout, &cfg.id);
    if rootfs::is_mounted(&dir) {
        rootfs::unmount(&dir);
    }
    crate::mark("launch");
    rootfs::mount_overlay(&dir, &cfg.layers, cfg.auto_remove)?;
    crate::mark("overlay mounted");
    match prepare_and_start(layout, &dir, cfg, stdio) {
        Ok(l) => Ok(l),
        Err(e) => {
            clear_stale(layout, &cfg.id);
            crate::net::detach(layout, &cfg.id);
            cgroups::sweep(&cfg.id);
            rootfs::unmount(&dir);
            Err(e)
        }
    }
}

fn prepare_and_start(
    layout: &Layout,
    dir: &Path,
    cfg: &ContainerConfig,
    stdio: Stdio,
) -> Result<Launched> {
    let root = dir.join("rootfs");
    let user = user::resolve(&root, &cfg.user, &cfg.group_add)?;
    rootfs::write_etc_files(dir, cfg)?;
    // After the etc files: attach rewrites resolv.conf and adds peers to hosts.
    crate::net::attach(layout, cfg)?;
    rootfs::apply_dns_flags(dir, cfg)?;

    let mut sources = Vec::with_capacity(cfg.mounts.len());
    let mut targets: Vec<(String, bool)> = vec![
        ("/etc/hosts".into(), true),
        ("/etc/resolv.conf".into(), true),
        ("/etc/hostname".into(), true),
    ];
    for m in &cfg.mounts {
        let src = match m.kind {
            MountKind::Bind => {
                if !Path::new(&m.source).exists() {
                    return Err(Error::Invalid(format!(
                        "invalid mount config for type \"bind\": bind source path does not exist: {}",
                        m.source
                    )));
                }
                m.source.clone()
            }
            MountKind::Volume => {
                let new = volumes::ensure(layout, &m.source, &[], m.anonymous)?;
                let data = volumes::data_dir(layout, &m.source);
                let empty = std::fs::read_dir(&data)
                    .map(|mut d| d.next().is_none())
                    .unwrap_or(false);
                if new || empty {
                    volumes::copy_up(&root, &m.destination, &data)?;
                }
                data.to_string_lossy().into_owned()
            }
            MountKind::Tmpfs => String::new(),
        };
        targets.push((
            m.destination.clone(),
            // A file target for anything that is no directory: files and
            // sockets (a build's ssh agent) alike.
            m.kind != MountKind::Tmpfs && std::fs::metadata(&src).is_ok_and(|md| !md.is_dir()),
        ));
        sources.push(src);
    }
    rootfs::ensure_mount_targets(&root, &targets);
    rootfs::ensure_workdir(&root, &cfg.workdir, user.uid, user.gid)?;

    let caps = security::capabilities(
        cfg.security.privileged,
        &cfg.security.cap_add,
        &cfg.security.cap_drop,
    )?;
    crate::mark("user, etc files, mounts prepared");
    let filter = seccomp_filter(layout, cfg, &caps)?;
    crate::mark("seccomp compiled");
    let spec = spec::build(&spec::SpecInputs {
        cfg,
        user: &user,
        dir,
        mount_sources: &sources,
        seccomp_active: filter.is_some(),
    })?;
    let spec_path = dir.join("config.json");
    let data = serde_json::to_vec(&spec).map_err(|e| Error::Runtime(e.to_string()))?;
    crate::state::write_private(&spec_path, &data, false)?;
    crate::mark("spec written");

    let executor = SkiffExecutor {
        filter,
        loopback_up: cfg.network == Network::None,
        drop_after_setup: dropped_after_setup(&caps),
        init: cfg.init,
    };

    let console = match stdio {
        Stdio::Tty => Some(ConsoleSocket::bind(dir, "console.sock")?),
        _ => None,
    };
    let mut builder = ContainerBuilder::new(cfg.id.clone(), SyscallType::default())
        .with_executor(executor)
        .with_root_path(layout.libcontainer_root())
        .map_err(lc_err)?
        .with_console_socket(console.as_ref().map(|c| c.path.clone()));
    match stdio {
        Stdio::Inherit { open_stdin } => {
            if !open_stdin {
                let null = std::fs::File::open("/dev/null")
                    .map_err(|e| io_at("cannot open", Path::new("/dev/null"), e))?;
                builder = builder.with_stdin(OwnedFd::from(null));
            }
        }
        Stdio::Fds {
            stdin,
            stdout,
            stderr,
        } => {
            builder = builder
                .with_stdin(stdin)
                .with_stdout(stdout)
                .with_stderr(stderr);
        }
        Stdio::Tty => {}
    }
    let devices = crate::devices::prepare(&cfg.id);
    let mut container = builder
        .as_init(dir)
        .with_systemd(false)
        .with_detach(true)
        .build()
        .map_err(lc_err)?;
    devices.attach(&spec)?;
    let pty_master = match &console {
        Some(c) => Some(c.receive_master()?),
        None => None,
    };
    crate::mark("libcontainer build (created)");
    container.start().map_err(lc_err)?;
    crate::mark("started");
    let pid = container.pid().map(|p| p.as_raw()).unwrap_or(0);
    Ok(Launched {
        container,
        pid,
        pty_master,
    })
}

fn lc_err(e: libcontainer::error::LibcontainerError) -> Error {
    Error::Runtime(format!("container runtime: {e}"))
}

/// The setup capabilities ([`spec::SETUP_CAPS`]) the process holds only
/// for our executor's setup, by number, for it to drop before execve.
pub(crate) fn dropped_after_setup(caps: &[String]) -> Vec<u32> {
    spec::SETUP_CAPS
        .iter()
        .filter(|c| !caps.iter().any(|k| k == *c))
        .filter_map(|c| skiff_core::caps::number(c))
        .collect()
}

/// Compile the container's seccomp profile before any fork (compiling
/// allocates; installing, in the executor, does not). docker's default
/// profile comes compiled from the store's cache ([`crate::seccomp_cache`]).
pub(crate) fn seccomp_filter(
    layout: &Layout,
    cfg: &ContainerConfig,
    caps: &[String],
) -> Result<Option<crate::executor::Filter>> {
    if cfg.security.privileged {
        return Ok(None);
    }
    let names: Vec<&str> = caps.iter().map(String::as_str).collect();
    let program = match &cfg.security.seccomp {
        Seccomp::Unconfined => return Ok(None),
        Seccomp::Default => crate::seccomp_cache::docker_default(layout.root(), &names),
        Seccomp::Profile(json) => {
            skiff_seccomp::Profile::from_json(json.as_bytes()).and_then(|p| {
                p.compile(&skiff_seccomp::CompileOptions::new(
                    skiff_seccomp::Arch::host(),
                    &names,
                ))
            })
        }
    }
    .map_err(|e| Error::Invalid(format!("seccomp profile: {e}")))?;
    Ok(Some(Arc::new(program)))
}

/// Remove libcontainer state left by a runtime process that died.
fn clear_stale(layout: &Layout, id: &str) {
    let lc = layout.libcontainer_root().join(id);
    if lc.exists() {
        if let Ok(mut c) = Container::load(lc.clone()) {
            let _ = c.delete(true);
        }
        let _ = std::fs::remove_dir_all(&lc);
    }
}

/// What the runtime process records when the container's process is gone.
pub struct Ended {
    pub oom_killed: bool,
}

/// Tear down after the container's init exited: note an OOM kill (before
/// the cgroup goes), delete libcontainer's state and the cgroup, unmount
/// the rootfs, release the network. `keep_idle_network`: an idle bridge
/// and table stay for the caller's background [`crate::net::settle_after`].
pub fn teardown(
    layout: &Layout,
    cfg: &ContainerConfig,
    container: Option<Container>,
    keep_idle_network: bool,
) -> Ended {
    crate::mark("exited");
    let oom_killed = cgroups::oom_killed(&cfg.id);
    // The init has been reaped, so the kernel is killing whatever else ran
    // in its PID namespace: libcontainer's delete() would re-check the
    // state, signal the cgroup and sleep-retry its rmdirs. Removing the
    // (soon empty) cgroups and libcontainer's state directly is the same
    // work without the waits.
    drop(container);
    if !cgroups::sweep_until_empty(&cfg.id, std::time::Duration::from_secs(5)) {
        // Something survived (a process outside the PID namespace's reach):
        // let libcontainer kill it.
        if let Ok(mut c) = Container::load(layout.libcontainer_root().join(&cfg.id)) {
            let _ = c.delete(true);
        }
        cgroups::sweep(&cfg.id);
    }
    let _ = std::fs::remove_dir_all(layout.libcontainer_root().join(&cfg.id));
    crate::mark("cgroups and libcontainer state removed");
    let dir = layout.container(&cfg.id);
    rootfs::unmount(&dir);
    crate::mark("cgroups swept, rootfs unmounted");
    if keep_idle_network {
        crate::net::detach_keeping_idle(layout, &cfg.id);
    } else {
        crate::net::detach(layout, &cfg.id);
    }
    crate::mark("network released");
    Ended { oom_killed }
}

/// Why a container's command did not start, as docker's exit code tells
/// the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFailure {
    /// The command does not exist (127).
    NotFound,
    /// The command exists but cannot be run (126).
    CannotInvoke,
    /// skiff or the container setup failed (125).
    Runtime,
}

impl StartFailure {
    /// Classify a failed start. libcontainer reports the execve error of
    /// the container's process only as text, so this reads the text.
    pub fn of(e: &Error) -> StartFailure {
        let m = e.to_string();
        if m.contains("executable file not found") || m.contains("no such file or directory") {
            StartFailure::NotFound
        } else if m.contains("permission denied") || m.contains("exec format error") {
            StartFailure::CannotInvoke
        } else {
            StartFailure::Runtime
        }
    }

    /// docker's exit code: 127, 126 or 125.
    pub fn exit_code(self) -> i32 {
        match self {
            StartFailure::NotFound => 127,
            StartFailure::CannotInvoke => 126,
            StartFailure::Runtime => 125,
        }
    }

    /// The failure an exit code stands for (the monitor reports the code
    /// over its pipe).
    pub fn from_exit_code(code: i32) -> StartFailure {
        match code {
            127 => StartFailure::NotFound,
            126 => StartFailure::CannotInvoke,
            _ => StartFailure::Runtime,
        }
    }
}

/// Exit status of a waited-for process, docker style (128+n for signals).
pub fn exit_code(status: i32) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        125
    }
}

pub fn raw(fd: &OwnedFd) -> i32 {
    fd.as_raw_fd()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_failures_carry_dockers_exit_codes() {
        let of = |m: &str| StartFailure::of(&Error::Runtime(m.into()));
        assert_eq!(
            of("exec: \"nope\": executable file not found in $PATH"),
            StartFailure::NotFound
        );
        assert_eq!(of("exec /x: permission denied"), StartFailure::CannotInvoke);
        assert_eq!(of("cgroup: device busy"), StartFailure::Runtime);
        for f in [
            StartFailure::NotFound,
            StartFailure::CannotInvoke,
            StartFailure::Runtime,
        ] {
            assert_eq!(StartFailure::from_exit_code(f.exit_code()), f);
            let e = Error::Start {
                failure: f,
                message: String::new(),
            };
            assert_eq!(e.exit_code(), f.exit_code());
        }
    }
}
