//! The store is root's alone: an unprivileged local user can neither list
//! it, nor run a setuid file of an unpacked layer, nor read a container's
//! `-e` values; and a store made by an older skiff (0755) is fixed on
//! first use. Also: `run` leases the store before unpacking.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::tar::*;
use common::*;

/// A store root as a fresh install makes it: `<world-searchable dir>/store`,
/// created by skiff itself (the default /var/lib/skiff sits under 0755
/// parents the same way).
struct OpenStore {
    _parent: tempfile::TempDir,
    root: PathBuf,
}

impl OpenStore {
    fn new() -> OpenStore {
        let parent = tempfile::Builder::new()
            .prefix("skiff-perm-")
            .tempdir_in("/tmp")
            .unwrap();
        fs::set_permissions(parent.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let root = parent.path().join("store");
        OpenStore {
            _parent: parent,
            root,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(skiff_bin())
            .arg("--root")
            .arg(&self.root)
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_success(&out, args);
        stdout(&out)
    }
}

/// Run `cmd` as nobody (uid/gid 65534, no supplementary groups).
fn as_nobody(cmd: &[&str]) -> Output {
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(cmd)
        .output()
        .unwrap()
}

fn denied(cmd: &[&str]) {
    let out = as_nobody(cmd);
    assert!(
        !out.status.success(),
        "nobody could {cmd:?}:\n{}",
        text(&out)
    );
    assert!(
        text(&out).contains("Permission denied"),
        "{cmd:?}: {}",
        text(&out)
    );
}

/// A layer with a setuid-root copy of the host's `id`.
fn setuid_layer(dir: &Path) -> PathBuf {
    let id = fs::read("/usr/bin/id").unwrap();
    write_tar(
        dir,
        "suid.tar",
        &Tar::default()
            .add(Entry {
                name: "suid-id",
                mode: 0o4755,
                data: &id,
                ..Default::default()
            })
            .finish(),
    )
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
#[ignore = "needs root and the test ground (scripts/test)"]
fn nobody_cannot_walk_into_the_store() {
    let s = OpenStore::new();
    let tmp = tempfile::tempdir().unwrap();
    s.ok(&["import", p(&setuid_layer(tmp.path())), "suid"]);
    s.ok(&["import", &ground("SKIFF_TEST_BUSYBOX_TAR"), "busybox"]);
    let snap = s
        .ok(&[
            "image",
            "inspect",
            "-f",
            "{{.GraphDriver.Data.LowerDir}}",
            "suid",
        ])
        .trim()
        .to_string();
    let suid = Path::new(&snap).join("suid-id");
    // The layer's file is as the image says: setuid root.
    let m = fs::metadata(&suid).unwrap();
    assert_eq!((m.mode() & 0o7777, m.uid()), (0o4755, 0));

    let id = s.ok(&[
        "run",
        "-d",
        "-e",
        "SECRET=hunter2",
        "busybox",
        "sleep",
        "60",
    ]);
    let id = id.trim();
    let ctr = s.root.join("containers").join(id);

    assert_eq!(fs::metadata(&s.root).unwrap().mode() & 0o777, 0o700);
    denied(&["ls", p(&s.root)]);
    denied(&["ls", p(&s.root.join("snapshots"))]);
    denied(&["ls", p(&s.root.join("blobs/sha256"))]);
    // Through a shell: setpriv looks its own command up before it drops
    // privileges, so `setpriv ... -- /path` would test setpriv.
    denied(&["sh", "-c", p(&suid)]);
    for f in ["container.json", "config.json"] {
        let f = ctr.join(f);
        assert!(fs::read_to_string(&f).unwrap().contains("hunter2"));
        assert_eq!(fs::metadata(&f).unwrap().mode() & 0o777, 0o600, "{f:?}");
        denied(&["cat", p(&f)]);
    }
    // Even with the root opened up again, the layers are root's.
    fs::set_permissions(&s.root, fs::Permissions::from_mode(0o755)).unwrap();
    for d in ["blobs", "snapshots"] {
        denied(&["ls", p(&s.root.join(d))]);
    }
    fs::set_permissions(&s.root, fs::Permissions::from_mode(0o700)).unwrap();
    s.ok(&["rm", "-f", id]);
}

#[test]
#[ignore = "needs root and the test ground (scripts/test)"]
fn an_old_open_store_is_made_private_on_first_use() {
    let s = OpenStore::new();
    s.ok(&["import", &ground("SKIFF_TEST_BUSYBOX_TAR"), "busybox"]);
    // What an older skiff left: everything 0755/0644, no marker.
    let _ = fs::remove_file(s.root.join(".modes-v1"));
    fs::set_permissions(&s.root, fs::Permissions::from_mode(0o755)).unwrap();
    for e in fs::read_dir(&s.root).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            fs::set_permissions(e.path(), fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let ctr = s.root.join("containers/0123456789ab");
    fs::create_dir_all(&ctr).unwrap();
    fs::write(ctr.join("container.json"), "{\"env\":[\"SECRET=x\"]}").unwrap();
    fs::set_permissions(
        ctr.join("container.json"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    assert!(as_nobody(&["ls", p(&s.root.join("snapshots"))])
        .status
        .success());

    s.ok(&["images"]);
    assert_eq!(fs::metadata(&s.root).unwrap().mode() & 0o777, 0o700);
    for d in ["snapshots", "blobs", "containers"] {
        let m = fs::metadata(s.root.join(d)).unwrap().mode() & 0o777;
        assert_eq!(m, 0o700, "{d}");
    }
    let m = fs::metadata(ctr.join("container.json")).unwrap().mode() & 0o777;
    assert_eq!(m, 0o600);
    denied(&["ls", p(&s.root)]);
    assert!(s.root.join(".modes-v1").exists());
}

#[test]
#[ignore = "needs root and the test ground (scripts/test)"]
fn run_holds_a_lease_before_it_unpacks() {
    let s = busybox_store();
    let snaps = s.root().join("snapshots");
    // Drop the snapshot: the next run unpacks it from the blob.
    for e in fs::read_dir(&snaps).unwrap().flatten() {
        fs::remove_dir_all(e.path()).unwrap();
    }
    // Stand in for a prune in progress: the exclusive GC lock.
    let lock = s.root().join("locks/gc.lock");
    let mut prune = Command::new("flock")
        .arg("-x")
        .arg(&lock)
        .args(["sleep", "2"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let run = s
        .skiff()
        .args(["run", "--rm", "busybox", "true"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    assert_eq!(
        count_files(&snaps),
        0,
        "run unpacked while a prune held the store"
    );
    prune.wait().unwrap();
    let out = run.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count_files(&snaps), 1);
}

#[test]
#[ignore = "needs root and the test ground (scripts/test)"]
fn a_non_root_container_still_reaches_its_layers_and_volumes() {
    // The store is 0700, yet a container running as 1000:1000 reads its
    // overlay rootfs (checked with the mounter's credentials), its
    // bind-mounted /etc files, a named volume and a host bind mount, and
    // `exec -u` joins it.
    let s = OpenStore::new();
    s.ok(&["import", &ground("SKIFF_TEST_BUSYBOX_TAR"), "busybox"]);
    let host = tempfile::tempdir().unwrap();
    fs::set_permissions(host.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(host.path().join("f"), "from the host").unwrap();
    fs::set_permissions(host.path().join("f"), fs::Permissions::from_mode(0o644)).unwrap();
    s.ok(&["volume", "create", "vol"]);
    let bind = format!("{}:/host:ro", p(host.path()));
    let out = s.ok(&[
        "run",
        "--rm",
        "-u",
        "1000:1000",
        "-v",
        "vol:/data",
        "-v",
        &bind,
        "busybox",
        "sh",
        "-c",
        "id -u; ls /data >/dev/null && cat /host/f && cat /etc/hostname >/dev/null && ls /bin/sh",
    ]);
    assert_eq!(out, "1000\nfrom the host/bin/sh\n");
    let id = s.ok(&["run", "-d", "-v", "vol:/data", "busybox", "sleep", "60"]);
    let id = id.trim();
    let out = s.ok(&[
        "exec",
        "-u",
        "1000:1000",
        id,
        "sh",
        "-c",
        "id -u; ls -d /data",
    ]);
    assert_eq!(out, "1000\n/data\n");
    s.ok(&["rm", "-f", id]);
}
