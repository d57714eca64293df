//! `skiff exec`: the CLI execs into skiff's hidden `exec` entry, a fresh
//! single-threaded process that joins the running container with
//! libcontainer's tenant builder, wires the terminal (a pty for `-t`),
//! forwards signals and exits with the command's code.

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;

use libcontainer::container::builder::ContainerBuilder;
use libcontainer::syscall::syscall::SyscallType;

use crate::error::{io, Error, Result};
use crate::executor::SkiffExecutor;
use crate::launch::StartFailure;
use crate::paths::Layout;
use crate::run::ExecOptions;
use crate::tty::ConsoleSocket;
use crate::{foreground, security, sig, state, user, REEXEC_ARG};

/// `docker exec`: check that the container runs and the flags are sound,
/// then replace this process with the exec entry, which exits with the
/// command's code. Returns only on error.
pub fn exec(layout: &Layout, o: ExecOptions) -> Error {
    match resolve(layout, o) {
        Ok((id, o)) => exec_into(layout, &id, &o),
        Err(e) => e,
    }
}

/// The container's id, and the options as the exec entry takes them:
/// environment files and bare `-e KEY`s read now, in the CLI's
/// environment.
fn resolve(layout: &Layout, mut o: ExecOptions) -> Result<(String, ExecOptions)> {
    let id = state::resolve(layout, &o.container)?;
    if !state::load(layout, &id)?.is_running() {
        return Err(Error::Invalid(format!("container {id} is not running")));
    }
    if crate::pause::is_paused(&id) {
        return Err(Error::Invalid(format!(
            "Container {id} is paused, unpause the container before exec"
        )));
    }
    o.process.env = o.process.env_overrides()?;
    o.process.env_files.clear();
    o.process.checked_workdir()?;
    Ok((id, o))
}

/// Replace the CLI with the exec entry. Returns only on error.
fn exec_into(layout: &Layout, id: &str, o: &ExecOptions) -> Error {
    let json = match serde_json::to_string(o) {
        Ok(j) => j,
        Err(e) => return Error::Runtime(e.to_string()),
    };
    let mut cmd = match crate::selfexe::command(layout.root()) {
        Ok(c) => c,
        Err(e) => return io("cannot start the skiff runtime", e),
    };
    let err = cmd
        .arg(REEXEC_ARG)
        .arg("exec")
        .arg(layout.root())
        .arg(id)
        .arg(json)
        .exec();
    io("cannot exec the skiff runtime", err)
}

pub fn run(layout: &Layout, id: &str, req_json: &str) -> i32 {
    match run_inner(layout, id, req_json) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {}", foreground::friendly(&e));
            // docker exec: a command that cannot be started for any other
            // reason than a missing binary "cannot be invoked".
            match StartFailure::of(&e) {
                StartFailure::Runtime => StartFailure::CannotInvoke,
                f => f,
            }
            .exit_code()
        }
    }
}

fn run_inner(layout: &Layout, id: &str, req_json: &str) -> Result<i32> {
    let o: ExecOptions =
        serde_json::from_str(req_json).map_err(|e| Error::Invalid(format!("exec request: {e}")))?;
    let p = &o.process;
    // `-u ""` and no `-u` alike mean the container's user.
    let exec_user = p.user.as_deref().unwrap_or_default();
    let rec = state::load(layout, id)?;
    if !rec.is_running() {
        return Err(Error::Invalid(format!("container {id} is not running")));
    }
    let cfg = &rec.config;
    let dir = layout.container(id);
    let rootfs = dir.join("rootfs");
    let u = user::resolve(
        &rootfs,
        if exec_user.is_empty() {
            &cfg.user
        } else {
            exec_user
        },
        &cfg.group_add,
    )?;
    let caps = security::capabilities(
        cfg.security.privileged || o.privileged,
        &cfg.security.cap_add,
        &cfg.security.cap_drop,
    )?;
    let filter = if o.privileged {
        None
    } else {
        crate::launch::seccomp_filter(layout, cfg, &caps)?
    };
    let executor = SkiffExecutor {
        filter,
        loopback_up: false,
        drop_after_setup: crate::launch::dropped_after_setup(&caps),
        init: false,
    };
    // The process comes from the container's own spec (capabilities, env,
    // rlimits), with the request's argv, env, user, cwd and terminal; it is
    // handed over as a process file because libcontainer's tenant builder
    // only takes `terminal` from one.
    let spec_path = dir.join("config.json");
    let spec: serde_json::Value = std::fs::read(&spec_path)
        .ok()
        .and_then(|d| serde_json::from_slice(&d).ok())
        .ok_or_else(|| Error::Runtime(format!("cannot read {}", spec_path.display())))?;
    let mut process = spec
        .get("process")
        .cloned()
        .unwrap_or_else(|| serde_json::json!({}));
    let mut env: Vec<String> = process
        .get("env")
        .and_then(|e| serde_json::from_value(e.clone()).ok())
        .unwrap_or_default();
    // KEY=VALUE already: `exec` resolved bare keys and env files.
    let mut extra = p.env.clone();
    if p.tty
        && !env
            .iter()
            .chain(extra.iter())
            .any(|e| e.starts_with("TERM="))
    {
        extra.push("TERM=xterm".into());
    }
    if !exec_user.is_empty() {
        env.retain(|e| !e.starts_with("HOME="));
        extra.push(format!("HOME={}", u.home));
    }
    crate::flags::merge_env(&mut env, &extra);
    process["args"] = serde_json::json!(o.args);
    process["env"] = serde_json::json!(env);
    process["terminal"] = serde_json::json!(p.tty);
    process["user"] = serde_json::json!({
        "uid": u.uid, "gid": u.gid, "additionalGids": u.additional_gids,
    });
    if let Some(w) = p.workdir.as_deref().filter(|w| !w.is_empty()) {
        process["cwd"] = serde_json::json!(w);
    }
    if o.privileged {
        let all: Vec<&str> = caps.iter().map(String::as_str).collect();
        process["capabilities"] = serde_json::json!({
            "bounding": all, "effective": all, "permitted": all,
        });
    }
    let process_path = dir.join(format!("exec-{}.json", std::process::id()));
    std::fs::write(&process_path, process.to_string())
        .map_err(|e| io(format!("cannot write {}", process_path.display()), e))?;
    let sigfd = sig::block_to_fd(sig::FORWARDED);
    let console = if p.tty {
        Some(ConsoleSocket::bind(
            &dir,
            &format!("exec-{}.sock", std::process::id()),
        )?)
    } else {
        None
    };
    let mut builder = ContainerBuilder::new(id.to_string(), SyscallType::default())
        .with_executor(executor)
        .with_root_path(layout.libcontainer_root())
        .map_err(lc)?
        .with_console_socket(console.as_ref().map(|c| c.path.clone()));
    if !p.interactive && !p.tty {
        let null = std::fs::File::open("/dev/null").map_err(|e| io("cannot open /dev/null", e))?;
        builder = builder.with_stdin(OwnedFd::from(null));
    }
    if o.detach && !p.tty {
        let null = |w: bool| {
            std::fs::OpenOptions::new()
                .write(w)
                .read(!w)
                .open("/dev/null")
                .map(OwnedFd::from)
        };
        if let (Ok(i), Ok(o), Ok(e)) = (null(false), null(true), null(true)) {
            builder = builder.with_stdin(i).with_stdout(o).with_stderr(e);
        }
    }
    let devices = crate::devices::join_for_exec(id);
    let built = builder
        .as_tenant()
        .with_process(Some(process_path.clone()))
        .with_detach(true)
        .build();
    drop(devices);
    let _ = std::fs::remove_file(&process_path);
    let pid = built.map_err(lc)?.as_raw();
    let master = match &console {
        Some(c) => Some(c.receive_master()?),
        None => None,
    };
    if o.detach {
        return Ok(0);
    }
    let status = match (master, sigfd) {
        (Some(m), Some(s)) => {
            foreground::wait_with_pty(pid, m.as_raw_fd(), s.as_raw_fd(), p.interactive)
        }
        (None, Some(s)) => foreground::wait_plain(pid, s.as_raw_fd()),
        _ => foreground::wait_blocking(pid),
    };
    Ok(crate::launch::exit_code(status))
}

fn lc(e: libcontainer::error::LibcontainerError) -> Error {
    let msg = e.to_string();
    Error::Runtime(format!("exec failed: {msg}"))
}
