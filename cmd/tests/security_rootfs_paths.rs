//! Image-controlled paths inside a container's rootfs must never lead the
//! runtime to the host (issue 13, items 1 and 8): a VOLUME or WORKDIR that
//! is a chain of 41 symlinks ending at a host directory, and a FIFO where
//! /etc/passwd belongs. Each test imports a busybox image with the hostile
//! entries added (the test ground's busybox tar, as root) into its own store.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::{ground, stderr, Store};

/// The busybox rootfs with `hostile` applied, imported as `name` (with the
/// `-c` changes given). Returns the temp dir holding the rootfs tree.
fn import_hostile(
    store: &Store,
    name: &str,
    changes: &[&str],
    hostile: impl FnOnce(&Path),
) -> tempfile::TempDir {
    let work = tempfile::tempdir_in(store.root()).unwrap();
    let rootfs = work.path().join("rootfs");
    std::fs::create_dir(&rootfs).unwrap();
    let st = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-xf")
        .arg(ground("SKIFF_TEST_BUSYBOX_TAR"))
        .status()
        .unwrap();
    assert!(st.success());
    hostile(&rootfs);
    let tar = work.path().join("image.tar");
    let st = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap();
    assert!(st.success());
    let mut args = vec!["import"];
    for c in changes {
        args.extend(["-c", c]);
    }
    let tar = tar.to_string_lossy().into_owned();
    args.extend([tar.as_str(), name]);
    store.ok(&args);
    work
}

/// `/l41` → `/l40` → ... → `/l0` → `canary` by its host path: 41 symlinks,
/// one more than the kernel (and skiff) follow.
fn symlink_chain(rootfs: &Path, canary: &Path) {
    std::os::unix::fs::symlink(canary, rootfs.join("l0")).unwrap();
    for i in 1..=41 {
        std::os::unix::fs::symlink(format!("/l{}", i - 1), rootfs.join(format!("l{i}"))).unwrap();
    }
}

/// A directory outside any rootfs holding one file: what must neither be
/// read nor written through the chain.
fn canary(store: &Store) -> PathBuf {
    let c = store.root().join("canary");
    std::fs::create_dir(&c).unwrap();
    std::fs::write(c.join("host-secret"), b"host secret").unwrap();
    c
}

fn canary_untouched(c: &Path) {
    let names: Vec<_> = std::fs::read_dir(c)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["host-secret"], "something written into the canary");
}

/// Every file under the store's volumes, to see nothing was copied in.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// `run` failed as a skiff error (125) whose message names `what` and
/// says `why`.
fn assert_refused(out: &Output, what: &str, why: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains(what), "the error names {what}: {err}");
    assert!(err.contains(why), "and says why: {err}");
}

#[test]
#[ignore = "needs the test ground and root: scripts/test"]
fn a_volume_path_of_41_symlinks_copies_nothing_from_the_host() {
    let s = Store::new();
    let c = canary(&s);
    let _img = import_hostile(&s, "chainvol", &["VOLUME /l41"], |r| symlink_chain(r, &c));
    let (out, _) = s.run_within(
        &["run", "--rm", "chainvol", "true"],
        Duration::from_secs(60),
    );
    assert_refused(&out, "/l41", "symbolic links");
    let leaked: Vec<_> = files_under(&s.root().join("volumes"))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "host-secret"))
        .collect();
    assert!(
        leaked.is_empty(),
        "host files copied into a volume: {leaked:?}"
    );
    canary_untouched(&c);
}

#[test]
#[ignore = "needs the test ground and root: scripts/test"]
fn a_workdir_of_41_symlinks_creates_nothing_on_the_host() {
    let s = Store::new();
    let c = canary(&s);
    let _img = import_hostile(&s, "chainwd", &["WORKDIR /l41/app"], |r| {
        symlink_chain(r, &c)
    });
    for args in [
        &["run", "--rm", "chainwd", "true"][..],
        &["run", "--rm", "-w", "/l41/other", "chainwd", "true"][..],
    ] {
        let (out, _) = s.run_within(args, Duration::from_secs(60));
        assert_refused(&out, "/l41/", "symbolic links");
        canary_untouched(&c);
    }
    // A chain the kernel does follow ends inside the rootfs, where the
    // canary's host path does not exist: the workdir is made there.
    let out = s.ok(&["run", "--rm", "-w", "/l5/made", "chainwd", "pwd"]);
    assert!(out.trim().ends_with("/canary/made"), "{out}");
    canary_untouched(&c);
}

#[test]
#[ignore = "needs the test ground and root: scripts/test"]
fn a_fifo_at_etc_passwd_is_a_clear_error_not_a_hang() {
    let s = Store::new();
    let _img = import_hostile(&s, "fifopw", &[], |r| {
        let p = r.join("etc/passwd");
        std::fs::remove_file(&p).unwrap();
        let st = Command::new("mkfifo").arg(&p).status().unwrap();
        assert!(st.success());
    });
    // The old runtime blocked forever opening the FIFO for reading.
    let (out, took) = s.run_within(
        &["run", "--rm", "-u", "nobody", "fifopw", "true"],
        Duration::from_secs(30),
    );
    assert_refused(&out, "/etc/passwd", "not a regular file");
    // The read itself fails at once (runtime/src/user.rs pins < 1 s); the
    // whole `run` also mounts the rootfs on a shared 2-core machine.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
#[ignore = "needs the test ground and root: scripts/test"]
fn copy_up_still_copies_the_images_files_through_inner_symlinks() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let s = Store::new();
    let _img = import_hostile(&s, "withdata", &["VOLUME /link"], |r| {
        std::fs::create_dir_all(r.join("data/sub")).unwrap();
        std::fs::write(r.join("data/sub/file"), b"from the image\n").unwrap();
        let suid = r.join("data/suid");
        std::fs::write(&suid, b"#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&suid, std::fs::Permissions::from_mode(0o4755)).unwrap();
        std::os::unix::fs::symlink("sub/file", r.join("data/rel")).unwrap();
        // The VOLUME path is a symlink inside the image: followed there.
        std::os::unix::fs::symlink("/data", r.join("link")).unwrap();
    });
    let out = s.ok(&[
        "run",
        "--rm",
        "-v",
        "named:/data",
        "withdata",
        "cat",
        "/data/rel",
    ]);
    assert_eq!(out, "from the image\n");
    let vol = s.root().join("volumes/named/_data");
    assert_eq!(
        std::fs::read_to_string(vol.join("sub/file")).unwrap(),
        "from the image\n"
    );
    assert_eq!(
        std::fs::symlink_metadata(vol.join("suid")).unwrap().mode() & 0o7777,
        0o4755
    );
    // The image's VOLUME /link (→ /data inside the image) gets an
    // anonymous volume holding the image's /data.
    s.ok(&["run", "--name", "anon", "withdata", "true"]);
    let anon: Vec<_> = files_under(&s.root().join("volumes"))
        .into_iter()
        .filter(|p| !p.starts_with(&vol) && p.ends_with("_data/sub/file"))
        .collect();
    assert_eq!(anon.len(), 1, "{anon:?}");
    s.ok(&["rm", "-v", "anon"]);
}
