//! Mounts of `skiff run`: binds (rw and ro), --mount, --read-only with
//! --tmpfs, and named volumes persisting across containers.

mod common;

use common::container::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn binds_volumes_tmpfs_read_only() {
    let s = Store::new();
    let host = s.root().join("data");
    std::fs::create_dir_all(&host).unwrap();
    let bind = format!("{}:/data", host.display());
    assert_success(
        &run(&s, &["-v", &bind], &["sh", "-c", "echo written > /data/f"]),
        &["-v"],
    );
    assert_eq!(
        std::fs::read_to_string(host.join("f")).unwrap(),
        "written\n"
    );
    let ro = format!("{}:/data:ro", host.display());
    assert_ne!(
        run(&s, &["-v", &ro], &["sh", "-c", "echo x > /data/g"])
            .status
            .code(),
        Some(0)
    );
    assert!(!host.join("g").exists());
    assert_ne!(
        run(&s, &["--read-only"], &["touch", "/file"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(
            &s,
            &["--read-only", "--tmpfs", "/run"],
            &["touch", "/run/file"]
        )
        .status
        .code(),
        Some(0)
    );
    let m = format!("type=bind,source={},target=/m,readonly", host.display());
    assert_eq!(
        stdout(&run(&s, &["--mount", &m], &["cat", "/m/f"])),
        "written\n"
    );
    // Named volumes persist across containers.
    assert_success(
        &run(&s, &["-v", "vol1:/v"], &["sh", "-c", "echo kept > /v/k"]),
        &["vol"],
    );
    assert_eq!(
        stdout(&run(&s, &["-v", "vol1:/v"], &["cat", "/v/k"])),
        "kept\n"
    );
    assert!(s.ok(&["volume", "ls", "-q"]).lines().any(|l| l == "vol1"));
    s.ok(&["volume", "rm", "vol1"]);
    assert!(!s.ok(&["volume", "ls", "-q"]).contains("vol1"));
}
