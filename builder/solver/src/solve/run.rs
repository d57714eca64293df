//! RUN: the command line, environment, network and mounts become a typed
//! [`RunRequest`] for the [`crate::run::RunExecutor`]; the container's
//! upper directory becomes the step's layer.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use skiff_frontend::instructions::{Mount, NetworkMode, RunCommand, Security};
use skiff_frontend::EnvList;

use crate::error::{io_at, BuildError, Result};
use crate::progress::Event;
use crate::run::{RunMount, RunNetwork, RunRequest, RunSandbox};

use super::commit::layer_in_temp_dir;
use super::stage::{cmdline, expand, Prepared, Produced, State, DEFAULT_PATH};
use super::Shared;

/// Lines of output kept for the error of a failed RUN.
const TAIL_LINES: usize = 10;

pub(super) fn prepare(sh: &Shared, st: &State, r: &RunCommand, env: &EnvList) -> Result<Prepared> {
    let heredoc = super::run_heredoc::plan(&r.cmd);
    let args = match &heredoc {
        Some(h) => {
            let mut v = st.config.shell();
            v.push(h.word.clone());
            v
        }
        None => cmdline(st, &r.cmd),
    };
    // RUN sees ARGs as environment variables, ENV winning.
    let mut run_env: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in st.args.entries() {
        run_env.insert(k.clone(), v.clone());
    }
    for (k, v) in st.config.env() {
        run_env.insert(k, v);
    }
    if !run_env.contains_key("PATH") {
        run_env.insert("PATH".into(), DEFAULT_PATH.into());
    }
    let network = network(r.network, &sh.opts.network);
    // The cache key keeps the form it had when every networked RUN used the
    // host's network: networking decides how a RUN reaches the outside,
    // not what it produces, and caches built before the bridge network
    // stay valid. Only `none` differs, as it always did.
    let key_network = if network == RunNetwork::None {
        "none"
    } else {
        "host"
    };
    // `--mount` values see the stage's ARGs and ENV, as BuildKit expands
    // them (`target=$CACHE_DIR`); the frontend kept the raw specs for this.
    let expander = |v: &str| expand(sh, v, env).map_err(|e| e.to_string());
    let mounts = r
        .mount_specs
        .iter()
        .map(|spec| Mount::parse(spec, Some(&expander)))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(BuildError::Invalid)?;
    let resolved = super::run_mounts::resolve(sh, &mounts)?;
    if let Some(sock) = &resolved.ssh_auth_sock {
        run_env
            .entry("SSH_AUTH_SOCK".to_string())
            .or_insert_with(|| sock.clone());
    }
    let mut sandbox = sh.opts.sandbox.clone();
    if r.security == Some(Security::Insecure) {
        if !sh.opts.allow_insecure {
            return Err(BuildError::Invalid(
                "RUN --security=insecure needs the security.insecure entitlement: \
                 build with --allow security.insecure"
                    .into(),
            ));
        }
        sandbox.privileged = true;
    }
    // Limits and security options change what a RUN may do, so they are
    // in the key; the default sandbox adds nothing, keeping older keys.
    let sandbox_key = if sandbox == RunSandbox::default() {
        String::new()
    } else {
        format!(" sandbox={sandbox:?}")
    };
    let user = st.config.user();
    let workdir = st.config.workdir();
    let env_list: Vec<String> = run_env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let material = format!(
        "RUN args={args:?} env={env_list:?} user={user} workdir={workdir} network={key_network} mounts={:?} heredocs={:?}{sandbox_key}",
        resolved.key, r.cmd.files
    );
    let by = format!("RUN {} # buildkit", args.join(" "));
    let heredoc_file = heredoc.and_then(|h| h.file);
    Ok(Prepared {
        material,
        work: Box::new(move |sh, st, id| {
            let mut resolved = resolved;
            resolved.fill()?;
            // The agent proxies end before the dirs holding their sockets.
            let _keep = (resolved.proxies, resolved.temps);
            // Secrets given as variables join the environment here, after
            // the cache key was made.
            let mut env_list = env_list;
            env_list.extend(resolved.env);
            // A foreign platform's RUN needs the host's emulator: say which
            // platform and how to get one, not "exec format error".
            skiff_runtime::emulation::check(&st.platform)
                .map_err(|e| BuildError::Unsupported(e.to_string()))?;
            let runner = sh.runner.clone().ok_or_else(|| {
                BuildError::Unsupported(
                    "RUN needs the container runtime, which this skiff cannot use yet".into(),
                )
            })?;
            let mut req = RunRequest {
                lower: st.snapshots.clone(),
                upper: PathBuf::new(),
                work: PathBuf::new(),
                args,
                env: env_list,
                user,
                workdir,
                network,
                mounts: resolved.mounts,
                add_hosts: add_hosts(&sh.opts.add_hosts),
                sandbox,
            };
            // A shebang heredoc runs as an executable file.
            let _script_dir = match &heredoc_file {
                Some((name, data)) => Some(heredoc_file_mount(sh, name, data, &mut req)?),
                None => None,
            };
            let layer = layer_in_temp_dir(sh, st, "build-run", |upper| {
                let work = sh.store.create_temp_dir("build-work")?;
                req.upper = upper.to_path_buf();
                req.work = work.clone();
                let mut tail: Vec<String> = Vec::new();
                let mut out = |line: &str| {
                    sh.progress.event(Event::Log {
                        id,
                        line: line.to_string(),
                    });
                    tail.push(line.to_string());
                    if tail.len() > TAIL_LINES {
                        tail.remove(0);
                    }
                };
                let res = runner.run(&req, &mut out);
                let _ = fs::remove_dir_all(&work);
                let outcome = res.map_err(|e| BuildError::Invalid(e.0))?;
                if outcome.exit_code != 0 {
                    return Err(BuildError::Step {
                        file: sh.dockerfile_name().to_string(),
                        line: 0,
                        instruction: String::new(),
                        message: format!(
                            "process \"{}\" did not complete successfully: exit code: {}",
                            req.args.join(" "),
                            outcome.exit_code
                        ),
                        exit_code: Some(outcome.exit_code),
                        output_tail: tail,
                    });
                }
                Ok(())
            })?;
            Ok(Produced::step(sh, st.config.clone(), &by, layer))
        }),
        after: Box::new(|_| {}),
    })
}

/// `RUN --network=default` (or none given) means the build's `--network`,
/// whose own default is the bridge network, as BuildKit's sandbox
/// networking.
fn network(flag: Option<NetworkMode>, build: &str) -> RunNetwork {
    match flag {
        Some(NetworkMode::None) => RunNetwork::None,
        Some(NetworkMode::Host) => RunNetwork::Host,
        _ => match build {
            "none" => RunNetwork::None,
            "host" => RunNetwork::Host,
            _ => RunNetwork::Bridge,
        },
    }
}

/// `--add-host host:address`; entries without a colon are dropped.
fn add_hosts(flags: &[String]) -> Vec<(String, String)> {
    flags
        .iter()
        .filter_map(|h| {
            h.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect()
}

/// Write a shebang heredoc to an executable file and mount it read-only
/// at `/dev/pipes/<name>`; the returned dir holds the file until the RUN
/// is done.
fn heredoc_file_mount(
    sh: &Shared,
    name: &str,
    data: &str,
    req: &mut RunRequest,
) -> Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("skiff-heredoc-")
        .tempdir_in(sh.store.tmp_dir())
        .map_err(io_at(sh.store.tmp_dir()))?;
    let p = dir.path().join("script");
    fs::write(&p, data).map_err(io_at(&p))?;
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).map_err(io_at(&p))?;
    req.mounts.push(RunMount::Bind {
        source: p,
        target: format!("{}/{name}", super::run_heredoc::HEREDOC_DIR),
        read_only: true,
    });
    Ok(dir)
}
