//! What the `skiff run` tests share: the busybox image of a store, running
//! it, and checking that a container left nothing behind.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use super::{assert_stderr_says, assert_success, busybox_store, stderr, stdout, text, Store};

/// The name the test ground's busybox rootfs is imported by.
pub const BUSYBOX: &str = "busybox";

/// The image args for busybox, imported into `store` on first use.
pub fn busybox(store: &Store) -> Vec<String> {
    let marker = store.root().join(".busybox-imported");
    if !marker.exists() {
        store.import_busybox(&[], BUSYBOX);
        std::fs::write(&marker, "").unwrap();
    }
    vec![BUSYBOX.into()]
}

/// A store with busybox imported and the image name to run it by: the
/// opening of most container tests.
pub fn store_with_busybox() -> (Store, &'static str) {
    (busybox_store(), BUSYBOX)
}

/// `run MODE FLAGS busybox CMD...`
fn run_args(store: &Store, mode: &str, flags: &[&str], cmd: &[&str]) -> Vec<String> {
    let mut args = vec!["run".to_string(), mode.to_string()];
    args.extend(flags.iter().map(|f| f.to_string()));
    args.extend(busybox(store));
    args.extend(cmd.iter().map(|c| c.to_string()));
    args
}

/// `skiff run --rm FLAGS IMAGE CMD...`
pub fn run(store: &Store, flags: &[&str], cmd: &[&str]) -> Output {
    let args = run_args(store, "--rm", flags, cmd);
    store.skiff().args(args).output().unwrap()
}

/// `skiff run -d FLAGS IMAGE CMD...` that must succeed; the container id.
pub fn run_detached(store: &Store, flags: &[&str], cmd: &[&str]) -> String {
    let args = run_args(store, "-d", flags, cmd);
    let out = store.skiff().args(&args).output().unwrap();
    assert_success(&out, &["run", "-d", &args[2..].join(" ")]);
    stdout(&out).trim().to_string()
}

/// What the host-only file of [`host_secret`] says: no copy or export out
/// of a hostile container may ever hold it.
pub const HOST_ONLY: &str = "host only\n";

/// A host directory holding `secret`, a file saying [`HOST_ONLY`], for a
/// hostile container to point links at; the directory and the file.
pub fn host_secret() -> (tempfile::TempDir, PathBuf) {
    let host = tempfile::tempdir().unwrap();
    let secret = host.path().join("secret");
    std::fs::write(&secret, HOST_ONLY).unwrap();
    (host, secret)
}

/// Nothing of the container may remain: no mount under the store, no
/// cgroup, no state directory.
pub fn assert_no_leftovers(store: &Store, id: &str) {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let root = store.root().to_string_lossy().into_owned();
    let leaked: Vec<&str> = mounts.lines().filter(|l| l.contains(&root)).collect();
    assert!(leaked.is_empty(), "mounts left behind: {leaked:?}");
    for entry in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        let p = entry.path().join("skiff").join(id);
        assert!(!p.exists(), "cgroup left behind: {}", p.display());
    }
    assert!(!Path::new("/sys/fs/cgroup/skiff").join(id).exists());
    assert!(
        !store.root().join("containers").join(id).exists(),
        "state dir left"
    );
    assert!(
        !store.root().join("lc").join(id).exists(),
        "libcontainer state left"
    );
}

/// `create` or `run -d`: it succeeded and printed a full container id (64
/// hex digits) alone on stdout. Returns the id.
pub fn created_id(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
    let id = stdout(out).trim().to_string();
    let full = id.len() == 64 && id.chars().all(|c| c.is_ascii_hexdigit());
    assert!(full, "not a full container id: {}", text(out));
    id
}

/// [`created_id`] for an image the store lacked: stderr also says that it
/// pulls.
pub fn created_after_pull(out: &Output) -> String {
    let id = created_id(out);
    assert_stderr_says(out, "Unable to find image");
    id
}

/// `out` is docker's refusal of a request: exit 1 and the one line
/// `Error response from daemon: MSG`.
pub fn assert_refused(out: &Output, msg: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", text(out));
    let err = stderr(out);
    assert_eq!(
        err.trim_end(),
        format!("Error response from daemon: {msg}"),
        "{}",
        text(out)
    );
    assert!(err.ends_with('\n'), "{err:?}");
}

/// Poll `inspect` until `want` holds (restarts and health checks happen in
/// the background), for at most 20 s; the last answer.
pub fn wait_for(s: &Store, name: &str, fmt: &str, want: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = s.inspect(name, fmt);
        if want(&got) || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
