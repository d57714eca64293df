//! resolve-in-root: escapes, long symlink chains, creation and hostile reads.

use super::*;
use std::ffi::CString;
use std::os::unix::fs::symlink;

fn setup() -> (tempfile::TempDir, Root) {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    std::fs::create_dir_all(root.join("real/etc")).unwrap();
    std::fs::write(root.join("real/etc/passwd"), b"root:x:0:0::/root:/bin/sh\n").unwrap();
    std::fs::write(d.path().join("secret"), b"host secret").unwrap();
    symlink("/real/etc", root.join("etc")).unwrap();
    symlink("../../../../..", root.join("real/up")).unwrap();
    symlink("../secret", root.join("leak")).unwrap();
    let r = Root::new(&root).unwrap();
    (d, r)
}

#[test]
fn symlinks_stay_inside_the_root() {
    let (_d, root) = setup();
    for (path, rel) in [
        ("/etc/passwd", "real/etc/passwd"),
        ("/real/up/etc", "real/etc"),
        ("/../../real", "real"),
        ("/", ""),
    ] {
        let r = root.resolve(path, Walk::FOLLOW).unwrap();
        assert_eq!(r.rel, PathBuf::from(rel), "{path}");
    }
    // ../secret from the root is /secret inside it: not there.
    assert_eq!(
        root.resolve("/leak", Walk::FOLLOW).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
    assert!(root.open("/leak", libc::O_RDONLY, 0).is_err());
    assert!(root
        .open_by_walk(Path::new("/leak"), libc::O_RDONLY, 0)
        .is_err());
    assert!(root
        .open_by_walk(Path::new("/real/up/etc/passwd"), libc::O_RDONLY, 0)
        .is_ok());
    assert_eq!(
        root.read_regular("/etc/passwd", 1024).unwrap(),
        b"root:x:0:0::/root:/bin/sh\n"
    );
    assert_eq!(
        root.resolve("/etc", Walk::NOFOLLOW).unwrap().rel,
        PathBuf::from("etc")
    );
}

// Issue 13, item 1: a chain of 41 symlinks used to make the old walk
// give up and return the unresolved path, which was then used on the
// host. Now it is ELOOP, by the kernel's openat2 and by the walk alike.
#[test]
fn a_long_symlink_chain_is_an_error_not_a_host_path() {
    let (d, root) = setup();
    let r = d.path().join("root");
    symlink("/real/etc", r.join("l0")).unwrap();
    for i in 1..=41 {
        symlink(format!("/l{}", i - 1), r.join(format!("l{i}"))).unwrap();
    }
    let follow = Walk {
        follow_last: true,
        create_dirs: Some(0o755),
    };
    let e = root.resolve("/l41/x", follow).unwrap_err();
    assert_eq!(e.source.raw_os_error(), Some(libc::ELOOP), "{e}");
    assert!(root.open("/l41/passwd", libc::O_RDONLY, 0).is_err());
    let e = root
        .open_by_walk(Path::new("/l41/passwd"), libc::O_RDONLY, 0)
        .unwrap_err();
    assert_eq!(e.source.raw_os_error(), Some(libc::ELOOP), "{e}");
    assert!(root.resolve("/l30/passwd", follow).is_ok());
    let loop_ = r.join("loop");
    symlink("loop", &loop_).unwrap();
    assert!(root.resolve("/loop/x", follow).is_err());
}

#[test]
fn creates_directories_inside_only() {
    let (d, root) = setup();
    let r = root.mkdir_all("/real/up/new/dir", 0o700).unwrap();
    assert_eq!(r.rel, PathBuf::from("new/dir"));
    assert!(r.is_dir().unwrap());
    assert!(d.path().join("root/new/dir").is_dir());
    assert!(!d.path().join("new").exists());
    let (dir, name) = root.parent("/etc/shadow", None).unwrap();
    assert_eq!(
        (dir.rel, name),
        (PathBuf::from("real/etc"), Some(OsString::from("shadow")))
    );
    let mut f = root
        .open(
            "/etc/created",
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
            0o600,
        )
        .unwrap();
    std::io::Write::write_all(&mut f, b"x").unwrap();
    assert!(d.path().join("root/real/etc/created").is_file());
}

#[test]
fn reads_refuse_fifos_and_big_files() {
    let (d, root) = setup();
    let fifo = CString::new(d.path().join("root/real/etc/group").as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo(3) with a valid path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let t = std::time::Instant::now();
    let e = root.read_regular("/etc/group", 1 << 20).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
    assert!(t.elapsed() < std::time::Duration::from_secs(1));
    let e = root.read_regular("/etc/passwd", 4).unwrap_err();
    assert!(e.to_string().contains("larger than 4 bytes"), "{e}");
}
