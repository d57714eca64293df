//! `RUN --mount=type=ssh`: an agent given with `--ssh`, reached through a
//! read-only proxy socket ([`crate::ssh_agent`]) bound at the mount's
//! target, BuildKit's `/run/buildkit/ssh_agent.<n>` by default; the first
//! ssh mount's target becomes `SSH_AUTH_SOCK` unless the stage sets it.
//! The socket is a mount, so it never reaches the layer.

use std::path::PathBuf;

use crate::error::{io_at, BuildError, Result};

use super::run_mounts::ResolvedMounts;
use super::Shared;

/// What an ssh mount asks for.
pub(super) struct SshMount<'a> {
    pub id: Option<&'a str>,
    pub target: Option<&'a str>,
    pub required: bool,
    pub mode: u32,
    pub owner: (u32, u32),
}

/// A proxy to start just before the RUN (never for a cached step).
pub(super) struct PendingSsh {
    pub upstream: PathBuf,
    pub socket: PathBuf,
    pub mode: u32,
    pub owner: (u32, u32),
}

/// `index`: how many ssh mounts came before this one in the RUN.
pub(super) fn resolve(
    sh: &Shared,
    out: &mut ResolvedMounts,
    index: usize,
    how: SshMount<'_>,
) -> Result<()> {
    let id = how.id.filter(|s| !s.is_empty()).unwrap_or("default");
    let target = match how.target.filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => format!("/run/buildkit/ssh_agent.{index}"),
    };
    if out.ssh_auth_sock.is_none() {
        out.ssh_auth_sock = Some(target.clone());
    }
    // The agent's keys are no input of the step: only what the RUN is
    // shown, as BuildKit keys it.
    out.key
        .push(format!("ssh:{id}:{target}:{:o}:{:?}", how.mode, how.owner));
    let Some(agent) = sh.opts.ssh.iter().find(|a| a.id == id) else {
        if !how.required {
            return Ok(());
        }
        // BuildKit's two messages: no --ssh at all, or not this id.
        return Err(BuildError::Invalid(if sh.opts.ssh.is_empty() {
            format!("no SSH key {id:?} forwarded from the client (use --ssh {id}[=SOCKET])")
        } else {
            format!("unset ssh forward key {id} (use --ssh {id}[=SOCKET])")
        }));
    };
    // Under the system temp dir: a socket path must stay within 108 bytes.
    let dir = tempfile::Builder::new()
        .prefix("skiff-ssh-")
        .tempdir()
        .map_err(io_at(std::env::temp_dir()))?;
    let socket = dir.path().join("agent.sock");
    out.ssh.push(PendingSsh {
        upstream: agent.socket.clone(),
        socket: socket.clone(),
        mode: how.mode,
        owner: how.owner,
    });
    out.bind_private(dir, socket, target, false);
    Ok(())
}
