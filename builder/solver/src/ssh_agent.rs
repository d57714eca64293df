//! `--ssh` agents and the socket a `RUN --mount=type=ssh` gets.
//!
//! Why a proxy and not a bind of the user's agent socket: BuildKit hands
//! the RUN a read-only view of the agent (it may list keys and ask for
//! signatures, never add, remove or lock keys), so a Dockerfile cannot
//! change the user's agent. The proxy listens on a fresh socket with the
//! mount's mode and owner, reads each request of the agent protocol
//! (a 4-byte big-endian length, then the message whose first byte is its
//! type) and forwards only those two kinds; anything else gets
//! SSH_AGENT_FAILURE.

use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{BuildError, Result};

/// An agent given with `--ssh ID[=SOCKET]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshAgent {
    pub id: String,
    pub socket: PathBuf,
}

/// OpenSSH's limit on one agent message.
const MAX_MESSAGE: u32 = 256 * 1024;
/// How long the agent may take to answer (a confirm-each-use key waits
/// for the user).
const AGENT_TIMEOUT: Duration = Duration::from_secs(120);

/// How often the accept loop looks for a new connection or the end.
const ACCEPT_POLL: Duration = Duration::from_millis(10);

const SSH_AGENT_FAILURE: u8 = 5;
const SSH2_AGENTC_REQUEST_IDENTITIES: u8 = 11;
const SSH2_AGENTC_SIGN_REQUEST: u8 = 13;

/// `--ssh` values as buildx reads them: `ID[=PATH[,PATH...]]`, the id
/// `default` when empty, no path meaning `$SSH_AUTH_SOCK`; a later value
/// for the same id replaces the earlier one. Only agent sockets are taken:
/// BuildKit can also load private key files into an agent of its own,
/// which skiff does not do yet, so those are refused by name.
pub fn parse_ssh(raw: &[String]) -> Result<Vec<SshAgent>> {
    let mut out: Vec<SshAgent> = Vec::new();
    for spec in raw.iter().filter(|s| !s.is_empty()) {
        let bad = |why: String| BuildError::Invalid(format!("--ssh {spec}: {why}"));
        let (id, paths) = match spec.split_once('=') {
            Some((id, p)) => (id, p.split(',').filter(|p| !p.is_empty()).collect()),
            None => (spec.as_str(), Vec::new()),
        };
        let id = if id.is_empty() { "default" } else { id };
        let socket = match paths.as_slice() {
            [] => match std::env::var_os("SSH_AUTH_SOCK").filter(|s| !s.is_empty()) {
                Some(s) => PathBuf::from(s),
                None => {
                    return Err(bad(
                        "invalid empty ssh agent socket: SSH_AUTH_SOCK is not set; \
                         give the socket as --ssh ID=PATH"
                            .into(),
                    ))
                }
            },
            [one] => PathBuf::from(one),
            _ => {
                return Err(bad(
                    "several key files are not supported yet: load the keys into an \
                     ssh-agent (ssh-add) and give its socket"
                        .into(),
                ))
            }
        };
        let md =
            std::fs::metadata(&socket).map_err(|e| bad(format!("{}: {e}", socket.display())))?;
        use std::os::unix::fs::FileTypeExt;
        if !md.file_type().is_socket() {
            return Err(bad(format!(
                "{} is not an agent socket; private key files are not supported yet: \
                 load the key into an ssh-agent (ssh-add) and give its socket",
                socket.display()
            )));
        }
        let agent = SshAgent {
            id: id.to_string(),
            socket,
        };
        match out.iter_mut().find(|a| a.id == agent.id) {
            Some(a) => *a = agent,
            None => out.push(agent),
        }
    }
    Ok(out)
}

/// A read-only agent socket at `path`, served until dropped.
pub struct AgentProxy {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl AgentProxy {
    /// Listen at `path` (mode and owner as the mount asks) and forward
    /// to the agent at `upstream`.
    pub fn start(upstream: &Path, path: &Path, mode: u32, owner: (u32, u32)) -> io::Result<Self> {
        let listener = UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o777))?;
        std::os::unix::fs::chown(path, Some(owner.0), Some(owner.1))?;
        // Non-blocking, polled: the loop must end when the proxy is
        // dropped even if its socket file is already gone.
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (upstream, flag) = (upstream.to_path_buf(), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("ssh-agent-proxy".into())
            .spawn(move || {
                while !flag.load(Ordering::SeqCst) {
                    let conn = match listener.accept() {
                        Ok((c, _)) => c,
                        Err(_) => {
                            std::thread::sleep(ACCEPT_POLL);
                            continue;
                        }
                    };
                    if conn.set_nonblocking(false).is_err() {
                        continue;
                    }
                    let up = upstream.clone();
                    // One thread per connection, gone when the RUN's
                    // process closes its end (at the latest when the
                    // container is torn down).
                    let _ = std::thread::Builder::new()
                        .name("ssh-agent-conn".into())
                        .spawn(move || serve(conn, &up));
                }
            })?;
        Ok(AgentProxy {
            path: path.to_path_buf(),
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for AgentProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Answer one client's requests until it hangs up.
fn serve(mut client: UnixStream, upstream: &Path) {
    let mut agent: Option<UnixStream> = None;
    while let Ok(Some(msg)) = read_message(&mut client) {
        let allowed = matches!(
            msg.first(),
            Some(&SSH2_AGENTC_REQUEST_IDENTITIES) | Some(&SSH2_AGENTC_SIGN_REQUEST)
        );
        let reply = if allowed {
            forward(&mut agent, upstream, &msg).unwrap_or_else(|_| {
                // A broken upstream connection is not reused.
                agent = None;
                vec![SSH_AGENT_FAILURE]
            })
        } else {
            vec![SSH_AGENT_FAILURE]
        };
        if write_message(&mut client, &reply).is_err() {
            return;
        }
    }
}

fn forward(agent: &mut Option<UnixStream>, upstream: &Path, msg: &[u8]) -> io::Result<Vec<u8>> {
    if agent.is_none() {
        let c = UnixStream::connect(upstream)?;
        c.set_read_timeout(Some(AGENT_TIMEOUT))?;
        c.set_write_timeout(Some(AGENT_TIMEOUT))?;
        *agent = Some(c);
    }
    let Some(c) = agent.as_mut() else {
        return Err(io::Error::other("no agent connection"));
    };
    write_message(c, msg)?;
    read_message(c)?.ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))
}

/// One message, or None at a clean end of stream.
fn read_message(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len);
    if len == 0 || len > MAX_MESSAGE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("agent message of {len} bytes"),
        ));
    }
    let mut body = vec![0u8; len as usize];
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

fn write_message(w: &mut impl Write, msg: &[u8]) -> io::Result<()> {
    let mut buf = Vec::with_capacity(msg.len() + 4);
    buf.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    buf.extend_from_slice(msg);
    w.write_all(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake agent that records request types and answers each with
    /// [type + 100].
    fn fake_agent(path: &Path) -> std::sync::mpsc::Receiver<u8> {
        let l = UnixListener::bind(path).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for c in l.incoming() {
                let mut c = c.unwrap();
                while let Ok(Some(m)) = read_message(&mut c) {
                    tx.send(m[0]).unwrap();
                    write_message(&mut c, &[m[0] + 100]).unwrap();
                }
            }
        });
        rx
    }

    #[test]
    fn only_listing_and_signing_reach_the_agent() {
        let d = tempfile::tempdir().unwrap();
        let rx = fake_agent(&d.path().join("agent"));
        let proxy_path = d.path().join("proxy");
        let uid = nix::unistd::geteuid().as_raw();
        let gid = nix::unistd::getegid().as_raw();
        let p = AgentProxy::start(&d.path().join("agent"), &proxy_path, 0o600, (uid, gid)).unwrap();
        let md = std::fs::metadata(&proxy_path).unwrap();
        assert_eq!(md.permissions().mode() & 0o777, 0o600);
        let mut c = UnixStream::connect(&proxy_path).unwrap();
        for (req, want) in [(11u8, 111u8), (17, SSH_AGENT_FAILURE), (13, 113), (19, 5)] {
            write_message(&mut c, &[req, 0, 0]).unwrap();
            assert_eq!(read_message(&mut c).unwrap().unwrap(), vec![want], "{req}");
        }
        let seen: Vec<u8> = rx.try_iter().collect();
        assert_eq!(seen, vec![11, 13], "add/remove never reach the agent");
        // Oversized messages end the connection.
        c.write_all(&(MAX_MESSAGE + 1).to_be_bytes()).unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(c.read(&mut buf).unwrap_or(0), 0);
        drop(p);
        assert!(!proxy_path.exists(), "socket removed with the proxy");
    }

    #[test]
    fn ssh_specs_take_sockets_and_refuse_key_files() {
        let d = tempfile::tempdir().unwrap();
        let sock = d.path().join("s");
        let _l = UnixListener::bind(&sock).unwrap();
        let key = d.path().join("id_ed25519");
        std::fs::write(&key, "key").unwrap();
        let s = sock.display().to_string();
        let got = parse_ssh(&[format!("default={s}"), format!("gh={s}"), format!("={s}")]).unwrap();
        assert_eq!(
            got.len(),
            2,
            "the empty id is default, given twice: last wins"
        );
        assert_eq!(got[0].id, "default");
        assert_eq!(got[1].id, "gh");
        let e = parse_ssh(&[format!("default={}", key.display())]).unwrap_err();
        assert!(e.to_string().contains("key files are not supported"), "{e}");
        let e = parse_ssh(&[format!("x={}", d.path().join("none").display())]).unwrap_err();
        assert!(e.to_string().contains("--ssh x="), "{e}");
    }
}
