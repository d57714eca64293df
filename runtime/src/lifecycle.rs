//! The API the CLI calls: create a container, hand it to a runtime process
//! (foreground or detached), and stop, kill, wait for and remove it. Nothing
//! here calls libcontainer: see the crate docs for why.

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::config::ContainerConfig;
use crate::error::{io, io_at, Error, Result};
use crate::paths::Layout;
use crate::state::{self, Record, Status};
use crate::{ids, remove, sig, REEXEC_ARG};

/// Register a new container: pick its id and name, write its config.
/// `cfg.id`, `cfg.name` (unless given) and `cfg.created` are filled here.
pub fn create(
    layout: &Layout,
    mut cfg: ContainerConfig,
    name: Option<&str>,
) -> Result<ContainerConfig> {
    cfg.id = ids::new_id();
    cfg.created = crate::now_rfc3339();
    if cfg.hostname.is_empty() && cfg.network != crate::Network::Host {
        cfg.hostname = cfg.id[..12].to_string();
    }
    if !cfg.env.iter().any(|e| e.starts_with("HOSTNAME=")) {
        let h = if cfg.hostname.is_empty() {
            nix::unistd::gethostname()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            cfg.hostname.clone()
        };
        let at = usize::from(cfg.env.first().is_some_and(|e| e.starts_with("PATH=")));
        cfg.env.insert(at, format!("HOSTNAME={h}"));
    }
    match name {
        Some(n) => {
            let n = state::checked_name(n)?;
            state::reserve_name(layout, n, &cfg.id)?;
            cfg.name = n.to_string();
        }
        None => {
            let mut attempt = 0;
            loop {
                let n = ids::name_for(&cfg.id, attempt);
                if state::reserve_name(layout, &n, &cfg.id).is_ok() {
                    cfg.name = n;
                    break;
                }
                attempt += 1;
                if attempt > 10_000 {
                    return Err(Error::Runtime("cannot generate a container name".into()));
                }
            }
        }
    }
    let dir = layout.container(&cfg.id);
    let res = (|| {
        std::fs::create_dir_all(&dir).map_err(|e| io_at("cannot create", &dir, e))?;
        // A --rm container's files die with it: skip the fsyncs.
        let durable = !cfg.auto_remove;
        state::save_config(&dir, &cfg, durable)?;
        state::save_state(&dir, &state::State::default(), durable)
    })();
    if let Err(e) = res {
        state::release_name(layout, &cfg.name, &cfg.id);
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e);
    }
    crate::events::container(layout, &cfg, "create", &[]);
    Ok(cfg)
}

/// skiff's runtime entry, from the sealed binary ([`crate::selfexe`]).
fn self_exe(layout: &Layout) -> Result<std::process::Command> {
    crate::selfexe::command(layout.root()).map_err(|e| io("cannot start the skiff runtime", e))
}

/// Replace this process with the foreground runner. Returns only on error.
pub fn exec_foreground(layout: &Layout, id: &str) -> Error {
    let mut cmd = match self_exe(layout) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let err = cmd
        .arg(REEXEC_ARG)
        .arg("run")
        .arg(layout.root())
        .arg(id)
        .exec();
    io("cannot exec the skiff runtime", err)
}

/// Start the container under a detached monitor and wait until it runs.
pub fn start_detached(layout: &Layout, id: &str) -> Result<i32> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two fds; the write end is inherited by the child.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io("cannot create pipe", std::io::Error::last_os_error()));
    }
    // SAFETY: fresh fds we own.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let wfd = wr.as_raw_fd();
    let mut cmd = self_exe(layout)?;
    cmd.arg(REEXEC_ARG)
        .arg("monitor")
        .arg(layout.root())
        .arg(id)
        .arg(wfd.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::fcntl(wfd, libc::F_SETFD, 0);
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| io("cannot start the container monitor", e))?;
    drop(wr);
    let _ = child.wait();
    let mut msg = String::new();
    let _ = std::fs::File::from(rd).read_to_string(&mut msg);
    let msg = msg.trim();
    if let Some(pid) = msg.strip_prefix("ok ") {
        return Ok(pid.trim().parse().unwrap_or(0));
    }
    if let Some(e) = msg.strip_prefix("err ") {
        let (code, text) = match e.split_once(' ') {
            Some((c, t)) if c.parse::<i32>().is_ok() => (c.parse().unwrap_or(125), t),
            _ => (125, e),
        };
        return Err(Error::Start {
            failure: crate::launch::StartFailure::from_exit_code(code),
            message: text.to_string(),
        });
    }
    Err(Error::Runtime(
        "the container monitor exited without starting the container".into(),
    ))
}

/// Wait until `pid` exits or `timeout` passes; true if it exited.
pub fn wait_pid_exit(pid: i32, timeout: Option<Duration>) -> bool {
    if pid <= 0 {
        return true;
    }
    // SAFETY: pidfd_open on a pid; the fd is owned below.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    if fd >= 0 {
        // SAFETY: we own the new fd.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout
            .map(|d| d.as_millis().min(i32::MAX as u128) as i32)
            .unwrap_or(-1);
        // SAFETY: poll on one fd.
        let n = unsafe { libc::poll(&mut p, 1, ms) };
        return n > 0 || !state::process_alive(pid);
    }
    let start = Instant::now();
    while state::process_alive(pid) {
        if timeout.is_some_and(|t| start.elapsed() >= t) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Send a signal to the container's main process.
pub fn kill(layout: &Layout, id: &str, signal: i32) -> Result<()> {
    let rec = state::load(layout, id)?;
    if !rec.is_running() {
        return Err(Error::Invalid(format!(
            "Cannot kill container: {id}: container {id} is not running"
        )));
    }
    if !rec.config.host.restart.is_none() {
        mark_stopped_by_user(layout, id)?;
    }
    if !sig::send(rec.state.pid, signal) {
        return Err(io(
            format!("cannot signal container {id}"),
            std::io::Error::last_os_error(),
        ));
    }
    crate::events::container(
        layout,
        &rec.config,
        "kill",
        &[("signal", &signal.to_string())],
    );
    if signal == libc::SIGKILL || sig::parse(&rec.config.stop_signal) == Some(signal) {
        crate::pause::resume_to_deliver(id);
    }
    if signal == libc::SIGKILL {
        // docker's kill with SIGKILL returns once the container is down, so
        // `kill` then `rm` or `start` does not race the monitor's teardown.
        wait_pid_exit(rec.state.monitor_pid, Some(Duration::from_secs(10)));
    }
    Ok(())
}

/// `stop -t` and `-s`; what is `None` comes from the container's own
/// `--stop-timeout` / `--stop-signal` (else 10 s and SIGTERM).
#[derive(Debug, Clone, Copy, Default)]
pub struct StopOptions<'a> {
    pub timeout: Option<i64>,
    pub signal: Option<&'a str>,
}

/// docker stop: the stop signal, then SIGKILL after the timeout; returns
/// once the runtime process has recorded the exit.
pub fn stop(layout: &Layout, id: &str, how: StopOptions) -> Result<()> {
    let StopOptions { timeout, signal } = how;
    let rec = state::load(layout, id)?;
    if !rec.config.host.restart.is_none() {
        // First, so a monitor between the exit and its back-off (or in
        // it) sees it and does not restart.
        mark_stopped_by_user(layout, id)?;
    }
    if rec.is_restarting() {
        // Waiting out the back-off: end the monitor, so nothing restarts.
        sig::send(rec.state.monitor_pid, libc::SIGKILL);
        wait_pid_exit(rec.state.monitor_pid, Some(Duration::from_secs(5)));
        return state::update_state(&layout.container(id), true, |s| {
            s.restarting = false;
            s.monitor_pid = 0;
        })
        .map(|_| ());
    }
    if !rec.is_running() {
        return Ok(());
    }
    let configured = signal.unwrap_or(&rec.config.stop_signal);
    let signal = if configured.is_empty() {
        libc::SIGTERM
    } else {
        sig::parse(configured).unwrap_or(libc::SIGTERM)
    };
    let secs = timeout.or(rec.config.stop_timeout).unwrap_or(10);
    let monitor = rec.state.monitor_pid;
    sig::send(rec.state.pid, signal);
    crate::pause::resume_to_deliver(id);
    let limit = if secs < 0 {
        None
    } else {
        Some(Duration::from_secs(secs as u64))
    };
    if !wait_pid_exit(rec.state.pid, limit) {
        sig::send(rec.state.pid, libc::SIGKILL);
    }
    wait_pid_exit(monitor, Some(Duration::from_secs(30)));
    Ok(())
}

/// docker's "manually stopped": the restart policy no longer applies.
fn mark_stopped_by_user(layout: &Layout, id: &str) -> Result<()> {
    state::update_state(&layout.container(id), true, |s| s.stopped_by_user = true).map(|_| ())
}

/// Check that a stored container can be started again; false when it is
/// already running (docker's `start` is then a no-op).
pub fn prepare_start(layout: &Layout, id: &str) -> Result<bool> {
    let rec = state::load(layout, id)?;
    if rec.is_running() {
        return Ok(false);
    }
    if rec.state.status == Status::Removing {
        return Err(Error::Invalid(format!(
            "container {id} is marked for removal and cannot be started"
        )));
    }
    if rec.state.stopped_by_user {
        // A start by the user puts the restart policy back in force.
        state::update_state(&layout.container(id), true, |s| s.stopped_by_user = false)?;
    }
    Ok(true)
}

/// Block until the container is no longer running; its exit code.
pub fn wait(layout: &Layout, id: &str) -> Result<i32> {
    loop {
        let rec = state::load(layout, id)?;
        if rec.state.status == Status::Created {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        if !rec.is_running() {
            return Ok(rec.state.exit_code);
        }
        wait_pid_exit(rec.state.monitor_pid, None);
        if !layout.container(id).exists() {
            // Removed by --rm as it exited.
            return Ok(0);
        }
    }
}

/// docker rm: refuse a running container unless `force` (then SIGKILL).
pub fn remove(layout: &Layout, id: &str, force: bool, volumes: bool) -> Result<()> {
    let rec = state::load(layout, id)?;
    if rec.is_restarting() {
        if !force {
            return Err(Error::Invalid(format!(
                "cannot remove container \"/{}\": container is restarting: stop the container before removing or force remove",
                rec.config.name
            )));
        }
        stop(
            layout,
            id,
            StopOptions {
                timeout: Some(0),
                signal: None,
            },
        )?;
    }
    if rec.is_running() {
        if !force {
            return Err(Error::Invalid(format!(
                "cannot remove container \"/{}\": container is running: stop the container before removing or force remove",
                rec.config.name
            )));
        }
        sig::send(rec.state.pid, libc::SIGKILL);
        crate::pause::resume_to_deliver(id);
        wait_pid_exit(rec.state.monitor_pid, Some(Duration::from_secs(30)));
        if !layout.container(id).exists() {
            return Ok(()); // it was --rm and its monitor removed it
        }
    }
    let dir = layout.container(id);
    let _lock = state::lock(&dir)?;
    let rec = state::load(layout, id)?;
    if rec.is_running() && !force {
        return Err(Error::Invalid(format!("container {id} is running")));
    }
    let _ = state::save_state(
        &dir,
        &state::State {
            status: Status::Removing,
            ..rec.state.clone()
        },
        false,
    );
    remove::remove_files(layout, &rec.config, volumes)
}

/// Containers that exist and are not running (for `container prune`).
pub fn stopped(layout: &Layout) -> Result<Vec<Record>> {
    Ok(state::list(layout)?
        .into_iter()
        .filter(|r| !r.is_running() && r.state.status != Status::Created)
        .collect())
}

/// Whether a path is a mount point now (tests and `rm` checks).
pub fn is_mounted(path: &Path) -> bool {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let t = path.to_string_lossy();
    mounts.lines().any(|l| l.split(' ').nth(4) == Some(&t))
}
