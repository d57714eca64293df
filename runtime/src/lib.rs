//! skiff's container runtime on youki's libcontainer: what docker does with
//! containerd, containerd-shim and runc, skiff does in its own process tree,
//! with no daemon.
//!
//! The CLI hands over what `run` and `exec` were asked for as typed options
//! ([`run::RunOptions`], [`run::ExecOptions`]); docker's rules for turning
//! them and the image's config into a container live in [`run`].
//!
//! # Process model
//! libcontainer forks with raw `clone3` inside the calling process and is
//! not safe in a multi-threaded process (a cloned child can deadlock on a
//! malloc lock another thread held). So **every libcontainer call happens in
//! a fresh, single-threaded re-exec of skiff itself**: `skiff
//! __skiff-runtime <mode> <root> <id> ...` run from a sealed binary
//! ([`selfexe`]: a container must never reach the host's), recognised by
//! [`reexec_entry`] as the very first thing `main()` does, before clap,
//! logging or any thread. The CLI process (which may use threads, e.g. for
//! the image store) only prepares the container's files and then:
//!
//! - foreground `run`: `exec`s into the `run` entry ([`foreground`]), which
//!   keeps the terminal, the pid and the stdio of the CLI: no extra process,
//!   no copying of output unless `-t` needs a pty. It forwards signals, waits,
//!   tears down and exits with the container's code.
//! - `run -d` / `start`: spawns the `monitor` entry ([`monitor`]), which
//!   double-forks (so it is nobody's child), starts the container with pipes,
//!   reports `ok`/`err` over a pipe to the waiting CLI, then logs the
//!   container's output, records its exit and removes `--rm` containers.
//!   One small monitor per container, like conmon; no daemon.
//! - `exec`: `exec`s into the `exec` entry ([`exec`]), which joins the
//!   running container with libcontainer's tenant builder.
//!
//! Other commands (`ps`, `stop`, `kill`, `rm`, `logs`, `inspect`...) never
//! call libcontainer to start anything: they read `state.json` and signal
//! recorded pids, so any skiff process sees every container. See [`paths`]
//! for the on-disk layout and [`state`] for the locking rules.
//!
//! # Security
//! docker's defaults ([`security`], [`spec`]): default capability set,
//! masked and read-only /proc and /sys paths, device allow-list, docker's
//! default seccomp profile compiled in pure Rust by skiff-seccomp and
//! installed by our own libcontainer executor ([`executor`]) right before
//! execve, since libcontainer ignores `linux.seccomp` without its C
//! libseccomp feature. cgroups live under an explicit `/skiff/<id>`. The
//! device allow-list is enforced by v1's devices controller and, on cgroup
//! v2, by skiff-devices' eBPF filter (`devices.rs`), libcontainer's own
//! needing libbpf (C).

pub mod attach;
mod cgroup_prime;
pub mod cgroups;
pub mod config;
mod copyup;
pub mod cp;
mod devices;
pub mod diff;
pub mod emulation;
pub mod error;
pub mod events;
pub mod exec;
pub mod executor;
pub mod flags;
pub mod follow;
pub mod foreground;
pub mod health;
pub mod health_sidecar;
pub mod ids;
mod init;
pub mod inspect;
mod inspect_defaults;
mod io_stats;
pub mod launch;
pub mod lifecycle;
pub mod logs;
pub mod monitor;
pub mod net;
mod netlo;
pub mod paths;
pub mod pause;
pub mod record;
pub mod remove;
pub mod rename;
pub mod restart;
pub mod restart_policy;
pub mod rootfs;
pub mod run;
mod seccomp_cache;
pub mod security;
pub mod selfexe;
pub mod sig;
pub mod spec;
pub mod state;
pub mod stats;
pub mod top;
pub mod tty;
pub mod update;
pub mod usage;
pub mod user;
pub mod view;
pub mod volumes;

/// Re-exported for the CLI's time formatting.
pub use chrono;
pub use config::{
    ContainerConfig, MountKind, MountSpec, Network, Resources, Seccomp, Security, Ulimit,
};
pub use error::{Error, Result};
pub use paths::Layout;
/// Container networking (bridges, ports, user networks), for the CLI.
pub use skiff_network as network;

/// argv[1] of skiff's hidden runtime entries.
pub const REEXEC_ARG: &str = "__skiff-runtime";

/// If this process is one of skiff's runtime re-execs, run it and return
/// its exit code; otherwise return None at once. Call it first in `main()`,
/// before anything can start a thread.
pub fn reexec_entry() -> Option<u8> {
    let mut args = std::env::args_os();
    let _argv0 = args.next();
    if args.next()? != REEXEC_ARG {
        return None;
    }
    let rest: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
    // libcontainer logs through tracing: SKIFF_RUNTIME_LOG=debug shows it.
    if let Ok(level) = std::env::var("SKIFF_RUNTIME_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(level))
            .with_writer(std::io::stderr)
            .try_init();
    }
    let code = match rest.as_slice() {
        [mode, root, id, extra @ ..] => {
            let layout = Layout::new(root);
            match mode.as_str() {
                "run" => foreground::run(&layout, id),
                "monitor" => {
                    let fd = extra.first().and_then(|s| s.parse().ok()).unwrap_or(-1);
                    monitor::run(&layout, id, fd)
                }
                "supervise" => monitor::supervise_entry(
                    &layout,
                    id,
                    extra.first().map(String::as_str).unwrap_or(""),
                ),
                "exec" => exec::run(&layout, id, extra.first().map(String::as_str).unwrap_or("")),
                _ => 125,
            }
        }
        _ => 125,
    };
    Some(code.clamp(0, 255) as u8)
}

/// A phase mark for `--debug-timing` (skiff_core::timing): how long each
/// start/teardown step took, for scripts/bench and for finding what a slow
/// host spends its time on.
pub fn mark(step: &str) {
    skiff_core::timing::mark(step);
}

/// The current time as docker prints it (RFC 3339, nanoseconds, UTC).
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}
