//! `skiff diff` and `skiff export` (docker's): diff lists what the
//! container added (A), changed (C) and deleted (D) against its image,
//! without the /etc files skiff bind-mounts; export writes the container's
//! whole filesystem as a tar, with its changes and without what it
//! deleted, to stdout or `-o`, also while it runs, and never with host
//! files a hostile container points symlinks at.

mod common;

use common::build::tar_names;
use common::container::{assert_refused, host_secret, run_detached, store_with_busybox, HOST_ONLY};
use common::*;

const CHANGES: &str = "mkdir -p /new/sub && echo x > /new/sub/f && echo y >> /etc/passwd \
                       && rm /bin/ls && rm -rf /home && ln -s /etc/shadow /tmp/link";

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn diff_lists_added_changed_and_deleted_paths_like_docker() {
    let (s, img) = store_with_busybox();
    s.ok(&["run", "--name", "quiet", img, "true"]);
    assert_eq!(
        s.ok(&["diff", "quiet"]),
        "",
        "an idle container changed nothing"
    );

    s.ok(&["run", "--name", "busy", img, "sh", "-c", CHANGES]);
    let diff = s.ok(&["diff", "busy"]);
    assert_eq!(
        diff,
        "C /bin\nD /bin/ls\nC /etc\nC /etc/passwd\nD /home\nA /new\nA /new/sub\nA /new/sub/f\nC /tmp\nA /tmp/link\n"
    );
    // Also of a running container, and of one never started.
    let id = run_detached(&s, &[], &["sh", "-c", "touch /made; sleep 30"]);
    let mut listed = String::new();
    for _ in 0..100 {
        listed = s.ok(&["diff", &id]);
        if listed.contains("A /made") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(listed, "A /made\n");
    s.ok(&["rm", "-f", &id]);
    let created = s.ok(&["create", img, "true"]);
    assert_eq!(s.ok(&["diff", created.trim()]), "");

    assert_refused(&s.run(&["diff", "nosuch"]), "No such container: nosuch");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn export_writes_the_merged_filesystem_as_a_tar() {
    let (s, img) = store_with_busybox();
    s.ok(&["run", "--name", "busy", img, "sh", "-c", CHANGES]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("busy.tar");
    assert_eq!(s.ok(&["export", "-o", file.to_str().unwrap(), "busy"]), "");
    let names = tar_names(&file);
    for want in ["bin", "bin/busybox", "etc/passwd", "new/sub/f", "tmp/link"] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }
    for gone in ["bin/ls", "home", "home/user"] {
        assert!(!names.iter().any(|n| n == gone), "{gone} exported");
    }
    // Entries are relative, as docker's.
    assert!(names.iter().all(|n| !n.starts_with('/')), "{names:?}");
    let passwd = std::process::Command::new("tar")
        .args(["-xOf", file.to_str().unwrap(), "etc/passwd"])
        .output()
        .unwrap();
    assert!(stdout(&passwd).ends_with("\ny\n"), "{}", text(&passwd));
    let link = std::process::Command::new("tar")
        .args(["-tvf", file.to_str().unwrap(), "tmp/link"])
        .output()
        .unwrap();
    assert_stdout_says(&link, "tmp/link -> /etc/shadow");

    // The same bytes on stdout; no view left mounted afterwards.
    let out = s.run(&["export", "busy"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let streamed = dir.path().join("streamed.tar");
    std::fs::write(&streamed, &out.stdout).unwrap();
    assert_eq!(tar_names(&streamed), names);
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !mounts.contains(s.root().to_str().unwrap()),
        "a mount was left under the store"
    );

    let out = s.run(&["export", "-o", file.to_str().unwrap(), "nosuch"]);
    assert_refused(&out, "No such container: nosuch");
}

/// A running container flips a directory and a symlink to a host-only
/// directory as fast as it can while it is exported: whatever the race,
/// no file of the host may end up in the archive (export reads the view
/// chrooted into it).
#[test]
#[ignore = "needs the test ground: scripts/test"]
fn export_of_a_hostile_running_container_never_reads_host_files() {
    let s = busybox_store();
    let (host, _) = host_secret();
    let hostdir = host.path().to_str().unwrap().to_string();
    let flip = format!(
        "while true; do rm -rf /flip; mkdir /flip; echo c > /flip/secret; \
         rm -rf /flip; ln -s {hostdir} /flip; done"
    );
    let id = run_detached(&s, &[], &["sh", "-c", &flip]);
    let out_dir = tempfile::tempdir().unwrap();
    for i in 0..15 {
        let tar = out_dir.path().join(format!("{i}.tar"));
        let out = s.run(&["export", "-o", tar.to_str().unwrap(), &id]);
        // A file vanishing mid-read may fail one export; a leak may not.
        if out.status.code() != Some(0) {
            continue;
        }
        let data = std::fs::read(&tar).unwrap();
        assert!(
            !data
                .windows(HOST_ONLY.len())
                .any(|w| w == HOST_ONLY.as_bytes()),
            "export {i} holds the host's file"
        );
    }
    s.ok(&["rm", "-f", &id]);
}
