//! RUN --mount=type=ssh with a real ssh-agent: the host's own ssh-add
//! (with its libraries, bound into the RUN) lists the agent's key through
//! the socket BuildKit's way (/run/buildkit/ssh_agent.0, SSH_AUTH_SOCK),
//! cannot delete it (read-only agent), and no socket reaches the image.
//! Without --ssh, a required mount fails with BuildKit's message.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Child, Command};

use common::build::*;
use common::*;

/// An ssh-agent on a socket in `dir`, killed when dropped.
struct Agent {
    child: Child,
    socket: std::path::PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent_with_key(dir: &Path) -> (Agent, String) {
    let socket = dir.join("agent.sock");
    // -D: in the foreground, so the test owns (and kills) the process.
    let child = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent (openssh-client, scripts/install-deps)");
    for _ in 0..100 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let key = dir.join("id_ed25519");
    run_ok(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "skiff-test", "-f"])
            .arg(&key),
    );
    run_ok(
        Command::new("ssh-add")
            .env("SSH_AUTH_SOCK", &socket)
            .arg(&key),
    );
    let listed = run_ok(
        Command::new("ssh-add")
            .env("SSH_AUTH_SOCK", &socket)
            .arg("-l"),
    );
    (Agent { child, socket }, listed.trim().to_string())
}

/// ssh-add and the shared libraries and loader it needs, in `dir`.
fn host_ssh_add(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let bin = run_ok(Command::new("sh").args(["-c", "command -v ssh-add"]));
    let bin = bin.trim();
    fs::copy(bin, dir.join("ssh-add")).unwrap();
    let ldd = run_ok(Command::new("ldd").arg(bin));
    for lib in ldd.split_whitespace().filter(|w| w.starts_with('/')) {
        let name = Path::new(lib).file_name().unwrap();
        fs::copy(lib, dir.join(name)).unwrap();
    }
    // The loader under one name the Dockerfile can call.
    let loader = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("ld-linux"))
        .expect("a dynamic loader in ldd's output");
    fs::rename(loader.path(), dir.join("ld.so")).unwrap();
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn ssh_mount_reaches_a_real_agent_read_only_and_leaves_no_socket() {
    let store = busybox_store();
    let work = tempfile::tempdir().unwrap();
    let (agent, listed) = agent_with_key(work.path());
    let d = dockerfile_context(
        "FROM busybox\n\
         RUN --mount=type=ssh --mount=type=bind,source=t,target=/t \
         test -S \"$SSH_AUTH_SOCK\" && echo \"$SSH_AUTH_SOCK\" > /sock && \
         stat -c '%a %u:%g' \"$SSH_AUTH_SOCK\" > /mode && \
         /t/ld.so --library-path /t /t/ssh-add -l > /keys 2>&1; \
         /t/ld.so --library-path /t /t/ssh-add -D > /delete 2>&1; echo $? >> /delete\n\
         RUN --mount=type=ssh,id=gh,target=/agent,mode=0640,uid=1000,gid=1000 \
         stat -c '%a %u:%g' /agent > /custom && echo \"$SSH_AUTH_SOCK\" >> /custom\n",
    );
    host_ssh_add(&d.path().join("t"));
    let sock = agent.socket.display().to_string();
    let (default, gh) = (format!("default={sock}"), format!("gh={sock}"));
    let (out, _) = build_to_dir(&store, &["--ssh", &default, "--ssh", &gh], d.path());
    let read = |f: &str| fs::read_to_string(out.path().join(f)).unwrap();
    assert_eq!(read("sock").trim(), "/run/buildkit/ssh_agent.0");
    assert_eq!(read("mode").trim(), "600 0:0", "BuildKit's socket defaults");
    // A real round trip through the agent protocol: the key the host added.
    assert_eq!(read("keys").trim(), listed, "ssh-add -l inside the RUN");
    // The agent is read-only: deleting keys fails and the key is still there.
    assert!(read("delete").trim().ends_with('1'), "{}", read("delete"));
    let after = run_ok(
        Command::new("ssh-add")
            .env("SSH_AUTH_SOCK", &agent.socket)
            .arg("-l"),
    );
    assert_eq!(after.trim(), listed);
    assert_eq!(read("custom"), "640 1000:1000\n/agent\n");
    // Neither the socket nor the directories made for it are in the image.
    assert!(!out.path().join("run/buildkit").exists());
    assert!(!out.path().join("agent").exists());
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn ssh_mount_errors_as_buildkit_without_the_agent() {
    let (store, d) = busybox_and_context(
        "FROM busybox\nRUN --mount=type=ssh,required=true echo \"$SSH_AUTH_SOCK\" > /s\n",
    );
    let no_key = "no SSH key \"default\" forwarded from the client";
    build_fails(&store, d.path(), &[], &[no_key]);
    // Optional (the default): the RUN runs, without a socket, with the variable.
    let d = dockerfile_context(
        "FROM busybox\nRUN --mount=type=ssh sh -c 'test ! -e \"$SSH_AUTH_SOCK\" && echo \"$SSH_AUTH_SOCK\" > /s'\n",
    );
    let (o, _) = build_to_dir(&store, &[], d.path());
    assert_eq!(
        fs::read_to_string(o.path().join("s")).unwrap().trim(),
        "/run/buildkit/ssh_agent.0"
    );
    // A key file is refused naming the flag.
    let key = d.path().join("Dockerfile");
    let out = store.run(&[
        "build",
        "--ssh",
        &format!("default={}", key.display()),
        d.path().to_str().unwrap(),
    ]);
    assert_fails(&out, 125, &["--ssh default="]);
}
