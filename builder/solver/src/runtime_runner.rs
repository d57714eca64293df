//! RUN through skiff-runtime, following its process model: the container is
//! registered with `lifecycle::create`, then run by a child process that is
//! skiff's own single-threaded runtime entry (`__skiff-runtime run <root>
//! <id>`, from the sealed binary of `skiff_runtime::selfexe`), never by libcontainer in this
//! (multi-threaded) build process. Its stdout and stderr share one pipe that
//! we read line by line. The container's upper dir is the step's layer.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;

use skiff_runtime::config::{Resources, Security, Ulimit};
use skiff_runtime::{ContainerConfig, Layout, MountKind, MountSpec, Network};

use crate::run::{RunError, RunExecutor, RunMount, RunNetwork, RunOutcome, RunRequest};
use crate::tree::{self, LayerTree, Tree};

pub struct RuntimeRunner {
    root: PathBuf,
    /// Taken at the first RUN on the bridge network, released with the
    /// runner (the build's end): the bridge and its rules stay up between
    /// RUNs instead of being torn down and rebuilt for each (~60 ms).
    bridge_hold: Mutex<Option<skiff_runtime::network::BridgeHold>>,
}

impl RuntimeRunner {
    /// `root`: the store root (the runtime keeps containers under it).
    pub fn new(root: &Path) -> std::io::Result<Self> {
        fs::create_dir_all(root)?;
        Ok(RuntimeRunner {
            root: fs::canonicalize(root)?,
            bridge_hold: Mutex::new(None),
        })
    }

    /// Hold the default bridge for the rest of the build (best effort: a
    /// failure only costs speed; the RUN's own attach reports real errors).
    fn hold_bridge(&self) {
        let Ok(mut h) = self.bridge_hold.lock() else {
            return;
        };
        if h.is_none() {
            use skiff_runtime::network as net;
            *h = net::NetContext::new(&self.root)
                .and_then(|c| net::hold_default_bridge(&c))
                .ok();
        }
    }
}

impl RunExecutor for RuntimeRunner {
    fn run(&self, req: &RunRequest, output: &mut dyn FnMut(&str)) -> Result<RunOutcome, RunError> {
        if req.lower.is_empty() {
            return Err(RunError(
                "RUN needs a base image with a filesystem (FROM scratch has none)".into(),
            ));
        }
        let layout = Layout::new(&self.root);
        let mut mounts: Vec<MountSpec> = req.mounts.iter().map(mount_spec).collect();
        let sb = &req.sandbox;
        if let Some(size) = sb.shm_size {
            // Mounted over the runtime's default /dev/shm.
            mounts.push(MountSpec {
                kind: MountKind::Tmpfs,
                source: String::new(),
                destination: "/dev/shm".into(),
                readonly: false,
                options: vec!["noexec".into(), "mode=1777".into(), format!("size={size}")],
                anonymous: false,
            });
        }
        let opts = skiff_runtime::flags::parse_security_opts(&sb.security_opts)
            .map_err(|e| RunError(e.to_string()))?;
        let cfg = ContainerConfig {
            layers: req.lower.clone(),
            args: req.args.clone(),
            cmd: req.args.clone(),
            env: req.env.clone(),
            workdir: req.workdir.clone(),
            user: req.user.clone(),
            network: runtime_network(req.network),
            mounts,
            add_hosts: req.add_hosts.clone(),
            ulimits: sb
                .ulimits
                .iter()
                .map(|(name, soft, hard)| Ulimit {
                    name: name.clone(),
                    soft: *soft,
                    hard: *hard,
                })
                .collect(),
            resources: Resources {
                memory: sb.memory,
                memory_swap: sb.memory_swap,
                cpu_shares: sb.cpu_shares,
                ..Default::default()
            },
            security: Security {
                privileged: sb.privileged,
                seccomp: opts.seccomp.unwrap_or_default(),
                no_new_privileges: opts.no_new_privileges,
                ..Default::default()
            },
            auto_remove: false,
            ..Default::default()
        };
        if cfg.network == Network::Bridge {
            self.hold_bridge();
        }
        let cfg = skiff_runtime::lifecycle::create(&layout, cfg, None)
            .map_err(|e| RunError(e.to_string()))?;
        let id = cfg.id.clone();
        let result = run_container(&self.root, &id, output);
        let cdir = layout.container(&id);
        let moved = if result.is_ok() {
            move_upper(&cdir.join("upper"), &req.upper, req)
        } else {
            Ok(())
        };
        let _ = skiff_runtime::lifecycle::remove(&layout, &id, true, true);
        let code = result.map_err(RunError)?;
        moved.map_err(|e| RunError(format!("collecting the RUN layer: {e}")))?;
        Ok(RunOutcome { exit_code: code })
    }
}

fn mount_spec(m: &RunMount) -> MountSpec {
    let (kind, source, read_only, options) = match m {
        RunMount::Bind {
            source, read_only, ..
        } => (
            MountKind::Bind,
            source.display().to_string(),
            *read_only,
            Vec::new(),
        ),
        RunMount::Tmpfs { size, .. } => (
            MountKind::Tmpfs,
            String::new(),
            false,
            size.iter().map(|n| format!("size={n}")).collect(),
        ),
    };
    MountSpec {
        kind,
        source,
        destination: m.target().to_string(),
        readonly: read_only,
        options,
        anonymous: false,
    }
}

/// The runtime's network mode for a RUN's: the bridge is a namespace of
/// its own on the default bridge network with outbound NAT (`network_name`
/// empty), as `skiff run` without `--network`; released when the RUN's
/// container is removed.
fn runtime_network(mode: RunNetwork) -> Network {
    match mode {
        RunNetwork::None => Network::None,
        RunNetwork::Host => Network::Host,
        RunNetwork::Bridge => Network::Bridge,
    }
}

fn run_container(root: &Path, id: &str, output: &mut dyn FnMut(&str)) -> Result<i32, String> {
    let (r, w) = nix::unistd::pipe().map_err(|e| format!("pipe: {e}"))?;
    let w2 = w.try_clone().map_err(|e| format!("pipe: {e}"))?;
    // From a sealed copy of skiff's binary, never the host's file: the
    // RUN's container must not reach it (skiff_runtime::selfexe).
    let mut child = skiff_runtime::selfexe::command(root)
        .map_err(|e| format!("starting the runtime: {e}"))?
        .arg(skiff_runtime::REEXEC_ARG)
        .arg("run")
        .arg(root)
        .arg(id)
        .stdin(Stdio::null())
        .stdout(Stdio::from(w))
        .stderr(Stdio::from(w2))
        .spawn()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    // The Command still holds the write ends until it is dropped; `spawn`
    // consumed them, so EOF comes when the container's processes exit.
    let reader = BufReader::new(fs::File::from(r));
    for line in reader.split(b'\n') {
        match line {
            Ok(l) => output(String::from_utf8_lossy(&l).trim_end_matches('\r')),
            Err(_) => break,
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the runtime: {e}"))?;
    use std::os::unix::process::ExitStatusExt;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}

/// Move the container's upper dir into place and drop what the runtime
/// created only to mount over (empty mount targets, /etc/hosts...) so it
/// does not leak into the layer.
fn move_upper(from: &Path, to: &Path, req: &RunRequest) -> std::io::Result<()> {
    let _ = fs::remove_dir(to);
    fs::rename(from, to)?;
    let lower = LayerTree::new(&req.lower);
    let mut targets: Vec<String> = req.mounts.iter().map(|m| m.target().to_string()).collect();
    targets.extend(["/etc/hosts", "/etc/resolv.conf", "/etc/hostname"].map(String::from));
    targets.push("/dev/pipes".into());
    for t in targets {
        let rel = tree::clean(&t);
        let mut cur = rel.clone();
        loop {
            if cur.is_empty() || lower.node(&cur).is_some() {
                break;
            }
            let p = to.join(&cur);
            let removed = match fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => fs::remove_dir(&p).is_ok(),
                Ok(m) if m.is_file() && m.len() == 0 => fs::remove_file(&p).is_ok(),
                _ => false,
            };
            if !removed {
                break;
            }
            cur = Path::new(&cur)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
    }
    Ok(())
}
