//! Security defaults of `skiff run`: docker's capability set, the default
//! seccomp profile, masked /proc paths, --privileged, --cap-add/--cap-drop,
//! no-new-privileges and user seccomp profiles.

mod common;

use common::container::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn security_defaults_and_seccomp() {
    let s = Store::new();
    // docker's default capability set and an active filter.
    let o = run(
        &s,
        &[],
        &[
            "sh",
            "-c",
            "grep -E '^(CapBnd|CapEff|Seccomp):' /proc/self/status",
        ],
    );
    let out = stdout(&o);
    assert!(out.contains("CapBnd:\t00000000a80425fb"), "{out}");
    assert!(out.contains("CapEff:\t00000000a80425fb"), "{out}");
    assert!(out.contains("Seccomp:\t2"), "{out}");
    // unshare(CLONE_NEWUSER) needs no capability: only seccomp stops it.
    assert_ne!(
        run(&s, &[], &["unshare", "-U", "true"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(
            &s,
            &["--security-opt", "seccomp=unconfined"],
            &["unshare", "-U", "true"]
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        run(&s, &["--privileged"], &["unshare", "-U", "true"])
            .status
            .code(),
        Some(0)
    );
    // mount: refused by default, allowed when privileged.
    assert_ne!(
        run(&s, &[], &["sh", "-c", "mkdir -p /m && mount -t tmpfs t /m"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(
            &s,
            &["--privileged"],
            &["sh", "-c", "mkdir -p /m && mount -t tmpfs t /m"]
        )
        .status
        .code(),
        Some(0)
    );
    // Masked and read-only /proc paths.
    assert_ne!(
        run(
            &s,
            &[],
            &["sh", "-c", "echo x > /proc/sys/kernel/domainname"]
        )
        .status
        .code(),
        Some(0)
    );
    let o = run(&s, &[], &["sh", "-c", "cat /proc/timer_list | wc -c"]);
    assert_eq!(stdout(&o).trim(), "0", "masked path shows nothing");
    // --cap-drop / --cap-add and no-new-privileges.
    let o = run(
        &s,
        &["--cap-drop", "ALL", "--cap-add", "chown"],
        &["sh", "-c", "grep CapEff /proc/self/status"],
    );
    assert!(stdout(&o).contains("0000000000000001"), "{}", stdout(&o));
    let o = run(
        &s,
        &["--security-opt", "no-new-privileges"],
        &["sh", "-c", "grep NoNewPrivs /proc/self/status"],
    );
    assert!(stdout(&o).contains("1"));
    let o = run(&s, &[], &["sh", "-c", "grep NoNewPrivs /proc/self/status"]);
    assert!(
        stdout(&o).contains("0"),
        "docker does not set no_new_privs by default"
    );
    // A user profile that denies mkdir.
    let prof = s.root().join("deny-mkdir.json");
    std::fs::write(&prof, r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#).unwrap();
    let opt = format!("seccomp={}", prof.display());
    assert_ne!(
        run(&s, &["--security-opt", &opt], &["mkdir", "/x"])
            .status
            .code(),
        Some(0)
    );
}
